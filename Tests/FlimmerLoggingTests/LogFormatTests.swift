import FlimmerLogging
import Foundation
import Logging
import Testing

/// Collects the lines a handler writes.
final class LineSink: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    var lines: [String] { lock.withLock { stored } }

    func append(_ line: String) { lock.withLock { stored.append(line) } }
}

@Suite("Log formats")
struct LogFormatTests {
    static let record = LogRecord(
        timestamp: "2026-11-25T05:30:01.123Z",
        level: .warning,
        label: "flimmer-sync",
        message: "lost the \"Redis\" subscription\nreconnecting",
        metadata: [
            (key: "error", value: .string("connection reset by peer")),
            (key: "port", value: .stringConvertible(8080)),
            (key: "request_id", value: .string("abc-123")),
        ]
    )

    @Test func logfmtQuotesOnlyWhatNeedsIt() {
        #expect(LogfmtLine.quote("plain") == "plain")
        #expect(LogfmtLine.quote("/api/content/{id}") == "/api/content/{id}")
        #expect(LogfmtLine.quote("") == #""""#)
        #expect(LogfmtLine.quote("two words") == #""two words""#)
        #expect(LogfmtLine.quote("a=b") == #""a=b""#)
        #expect(LogfmtLine.quote(#"say "hi""#) == #""say \"hi\"""#)
        #expect(LogfmtLine.quote(#"back\slash"#) == #""back\\slash""#)
        #expect(LogfmtLine.quote("line\nbreak") == #""line\nbreak""#)
        #expect(LogfmtLine.quote("bell\u{07}") == #""bell\u0007""#)
        #expect(LogfmtLine.quote("grüße") == "grüße")
    }

    @Test func logfmtLineHasTheFixedFieldsThenSortedMetadataOnOneLine() {
        let line = LogfmtLine.format(Self.record)
        #expect(
            line
                == #"ts=2026-11-25T05:30:01.123Z level=warning logger=flimmer-sync msg="lost the \"Redis\" subscription\nreconnecting" error="connection reset by peer" port=8080 request_id=abc-123"#
        )
        #expect(!line.contains("\n"))
    }

    @Test func logfmtFlattensNestedMetadataAndCleansKeys() {
        let record = LogRecord(
            timestamp: "t",
            level: .info,
            label: "l",
            message: "m",
            metadata: [
                (key: "bad key=x", value: .string("v")),
                (key: "redis", value: .dictionary(["host": "127.0.0.1", "db": "0"])),
                (key: "tags", value: .array(["a", "b c"])),
            ]
        )
        #expect(
            LogfmtLine.format(record)
                == #"ts=t level=info logger=l msg=m bad_key_x=v redis.db=0 redis.host=127.0.0.1 tags="[a,b c]""#
        )
    }

    @Test func jsonEscapesStringsAndIsValidJSON() throws {
        let line = JSONLogLine.format(Self.record)
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["ts"] as? String == "2026-11-25T05:30:01.123Z")
        #expect(object["level"] as? String == "warning")
        #expect(object["logger"] as? String == "flimmer-sync")
        #expect(object["msg"] as? String == "lost the \"Redis\" subscription\nreconnecting")
        #expect(object["port"] as? String == "8080")
        #expect(object["request_id"] as? String == "abc-123")
        #expect(line.hasPrefix(#"{"ts":"2026-11-25T05:30:01.123Z","level":"warning","logger":"flimmer-sync","msg":"#))
    }

    @Test func jsonKeepsNestingAndCannotShadowTheFixedFields() throws {
        let record = LogRecord(
            timestamp: "t",
            level: .error,
            label: "l",
            message: "real",
            metadata: [(key: "msg", value: .string("forged")), (key: "redis", value: .dictionary(["db": "0", "tags": .array(["x"])]))]
        )
        let object = try #require(try JSONSerialization.jsonObject(with: Data(JSONLogLine.format(record).utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "real")
        #expect(object["meta.msg"] as? String == "forged")
        let redis = try #require(object["redis"] as? [String: Any])
        #expect(redis["db"] as? String == "0")
        #expect(redis["tags"] as? [String] == ["x"])
    }

    @Test func timestampsAreUTCWithMilliseconds() {
        #expect(LogRecord.now().count == "2026-11-25T01:36:14.879Z".count)
        #expect(LogRecord.now().hasSuffix("Z"))
    }

    @Test func handlersMergeHandlerAndCallMetadataTheCallWinning() throws {
        let sink = LineSink()
        var logger = Logger(label: "test") { label in JSONLogHandler(label: label, output: { sink.append($0) }) }
        logger[metadataKey: "request_id"] = "r1"
        logger[metadataKey: "route"] = "old"
        logger.info("request", metadata: ["route": "/metrics", "status": "200"])
        logger.debug("below the level: not written")
        var logfmt = Logger(label: "test") { label in LogfmtLogHandler(label: label, output: { sink.append($0) }) }
        logfmt[metadataKey: "request_id"] = "r2"
        logfmt.notice("hello world")

        let lines = sink.lines
        #expect(lines.count == 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["request_id"] as? String == "r1")
        #expect(object["route"] as? String == "/metrics")
        #expect(object["status"] as? String == "200")
        #expect(lines[1].hasPrefix("ts="))
        #expect(lines[1].hasSuffix(#" level=notice logger=test msg="hello world" request_id=r2"#))
    }
}
