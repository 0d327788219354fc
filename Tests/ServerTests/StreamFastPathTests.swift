import ContentQueue
import FlimmerTestSupport
import Foundation
import RedisClient
import Server
import Testing

extension String {
    /// Whether `text` occurs after the first `marker`.
    func contains(_ text: String, after marker: String) -> Bool {
        guard let range = range(of: marker) else { return false }
        return self[range.upperBound...].contains(text)
    }
}

/// A connection whose first request opens a stream is served on its event loop with a body that
/// ends with the connection (`ConnectionSniffer`, `StreamEntrance`); any other connection, and a refused stream, goes
/// through Hummingbird. These tests speak raw HTTP to see which is which.
@Suite("Event streams: the connection-level fast path and Hummingbird's path")
struct StreamFastPathTests {
    static func streamRequest(token: String, extra: String = "") -> String {
        "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nAccept: text/event-stream\r\n\(extra)\r\n"
    }

    @Test func aStreamOpenedByTheFirstRequestIsCloseDelimitedAndRelaysEvents() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let connection = try RawConnection(port: server.port)
            #expect(connection.send(Self.streamRequest(token: family.parent)))
            let opening = await connection.receive(until: "\n\n")
            #expect(opening.hasPrefix("HTTP/1.1 200 OK\r\n"))
            let head = opening.components(separatedBy: "\r\n\r\n").first?.lowercased() ?? ""
            #expect(head.contains("content-type: text/event-stream"))
            #expect(head.contains("connection: close"))
            #expect(!head.contains("transfer-encoding"))
            #expect(opening.components(separatedBy: "\r\n\r\n").dropFirst().first?.hasPrefix("retry: 2000\nid: ") == true)
            let upload = try await server.upload(token: family.child, title: "Raw")
            let text = await connection.receive(until: "contentId\":\"\(upload.id)")
            // No chunk sizes between the frames: the body is the event stream itself.
            #expect(text.contains("-\(upload.version)\nevent: invalidate\ndata: {"))
            #expect(!text.contains("\r\n", after: "\r\n\r\n"))
            #expect(server.server.hub.streamCount == 1)
        }
    }

    @Test func aStreamAfterAnotherRequestOnTheConnectionIsServedByHummingbirdChunked() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let connection = try RawConnection(port: server.port)
            #expect(connection.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
            #expect(await connection.receive(until: "}").contains("HTTP/1.1 200"))
            #expect(connection.send(Self.streamRequest(token: family.parent)))
            let opening = await connection.receive(until: "retry: 2000")
            let secondHead = opening.components(separatedBy: "HTTP/1.1 ").last?.lowercased() ?? ""
            #expect(secondHead.hasPrefix("200 ok"))
            #expect(secondHead.contains("transfer-encoding: chunked"))
            let upload = try await server.upload(token: family.child, title: "Chunked")
            #expect(await connection.receive(until: "contentId\":\"\(upload.id)").contains("event: invalidate"))
            #expect(server.server.hub.streamCount == 1)
        }
    }

    @Test(arguments: [
        ("Bearer not.a.token", "401", "unauthorized"),
        ("Basic abc", "401", "unauthorized"),
    ])
    func aRefusedFirstRequestGetsTheAPIsErrorResponse(authorization: String, status: String, code: String) async throws {
        try await TestServer.run { server in
            let connection = try RawConnection(port: server.port)
            #expect(connection.send("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(authorization)\r\n\r\n"))
            let response = await connection.receive(until: "}}")
            #expect(response.hasPrefix("HTTP/1.1 \(status)"))
            #expect(response.contains(#"{"error":{"code":"\#(code)""#))
            #expect(server.server.hub.streamCount == 0)
        }
    }

    @Test func aStreamOverTheCapGets429FromTheFirstRequestToo() async throws {
        try await TestServer.run(configure: { $0.hub.maxStreamsPerUser = 1 }) { server in
            let family = try await server.family()
            let first = try RawConnection(port: server.port)
            #expect(first.send(Self.streamRequest(token: family.parent)))
            #expect(await first.receive(until: "id: ").contains("200 OK"))
            let second = try RawConnection(port: server.port)
            #expect(second.send(Self.streamRequest(token: family.parent)))
            let refused = await second.receive(until: "}}")
            #expect(refused.hasPrefix("HTTP/1.1 429"))
            #expect(refused.lowercased().contains("retry-after: 5"))
            #expect(server.server.hub.streamCount == 1)
        }
    }

    @Test func aStreamFromAnAllowedOriginCarriesCORSHeadersAndAForeignOneDoesNot() async throws {
        let allowed = "https://app.example"
        try await TestServer.run(configure: { $0.corsAllowedOrigins = [allowed] }) { server in
            let family = try await server.family()
            let friendly = try RawConnection(port: server.port)
            #expect(friendly.send(Self.streamRequest(token: family.parent, extra: "Origin: \(allowed)\r\n")))
            let friendlyHead = await friendly.receive(until: "\r\n\r\n").lowercased()
            #expect(friendlyHead.contains("access-control-allow-origin: \(allowed)"))
            #expect(friendlyHead.contains("vary: origin"))
            let foreign = try RawConnection(port: server.port)
            #expect(foreign.send(Self.streamRequest(token: family.parent, extra: "Origin: https://evil.example\r\n")))
            let foreignHead = await foreign.receive(until: "\r\n\r\n").lowercased()
            #expect(foreignHead.hasPrefix("http/1.1 200"))
            #expect(!foreignHead.contains("access-control-allow-origin"))
        }
    }

    @Test func aClientThatLeavesAFastPathStreamIsReleased() async throws {
        try await TestServer.run { server in
            let parent = try await server.family().parent
            var connection: RawConnection? = try RawConnection(port: server.port)
            #expect(connection?.send(Self.streamRequest(token: parent)) == true)
            #expect(await connection?.receive(until: "id: ").contains("200 OK") == true)
            #expect(server.server.hub.streamCount == 1)
            connection = nil
            try await eventually("the stream to be released", timeout: .seconds(3)) { server.server.hub.streamCount == 0 }
        }
    }

    /// Frames go straight to the socket while the kernel takes them and through NIO when it does
    /// not (`StreamSocket`). A client that stops reading for a while makes the writes switch over
    /// mid-frame and back: every frame must still arrive whole and in order.
    @Test func aFastPathClientThatPausesGetsEveryFrameWholeAndInOrder() async throws {
        try await TestServer.run(configure: {
            $0.hub.maxQueuedFrames = 1000
            $0.hub.maxWriteStall = .seconds(30)
        }) { server in
            let family = try await server.family()
            let connection = try RawConnection(port: server.port, receiveBufferSize: 4096)
            #expect(connection.send(Self.streamRequest(token: family.parent)))
            #expect(await connection.receive(until: "\n\n").contains("200 OK"))
            // More than the kernel's largest send buffer on this machine (4 MiB), so the writes
            // must go to NIO part of the way; the last event is short, to be found quickly.
            let events = 200
            let padding = String(repeating: "x", count: 64 * 1024)
            try await withTestRedis { redis in
                for version in 1...events {
                    let pad = version == events ? "end" : padding
                    let payload = #"{"key":"contentQueue","family":"\#(family.id.rawValue)","version":\#(version),"pad":"\#(pad)"}"#
                    try await redis.send(RedisCommand("PUBLISH", "invalidate:contentQueue", payload))
                }
            }
            // The client pauses while the gateway relays about 13 MiB, more than the kernel holds
            // for it: the gateway's writes fill the socket and go to NIO part of the way.
            try await Task.sleep(for: .seconds(1))
            let bytes = await connection.receiveBytes(until: #""version":\#(events),"pad":"end"}"#, timeout: .seconds(30))
            let body = String(decoding: bytes, as: UTF8.self)
            var versions: [Int] = []
            // The last piece is what follows the final blank line: nothing, or a frame still coming.
            for frame in body.components(separatedBy: "\n\n").dropLast() where frame.contains("event: invalidate") {
                let data = try #require(frame.split(separator: "\n").first { $0.hasPrefix("data: ") })
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(data.dropFirst(6).utf8)) as? [String: Any]
                )
                let version = try #require(object["version"] as? Int)
                #expect((object["pad"] as? String)?.count == (version == events ? 3 : padding.count))
                versions.append(version)
            }
            #expect(versions == Array(1...events))
        }
    }
}
