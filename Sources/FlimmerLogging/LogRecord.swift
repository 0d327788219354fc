import FlimmerFormats
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One log entry as both structured handlers see it: the fixed fields, then the metadata.
public struct LogRecord: Sendable {
    /// When, as UTC ISO 8601 with milliseconds: `2026-11-25T05:30:01.123Z`.
    public var timestamp: String
    public var level: Logger.Level
    /// The logger's label.
    public var label: String
    public var message: String
    /// Handler, provider and call metadata merged (the call's win), sorted by key.
    public var metadata: [(key: String, value: Logger.MetadataValue)]

    public init(
        timestamp: String,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: [(key: String, value: Logger.MetadataValue)]
    ) {
        self.timestamp = timestamp
        self.level = level
        self.label = label
        self.message = message
        self.metadata = metadata
    }

    /// Merges the three sources of metadata in swift-log's order of precedence.
    static func merged(
        handler: Logger.Metadata,
        provider: Logger.MetadataProvider?,
        call: Logger.Metadata?
    ) -> [(key: String, value: Logger.MetadataValue)] {
        var all = handler
        if let provided = provider?.get() { all.merge(provided) { _, new in new } }
        if let call { all.merge(call) { _, new in new } }
        return all.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
    }

    /// The current time as UTC ISO 8601 with milliseconds.
    public static func now() -> String {
        UTCTime.now().iso8601
    }

    /// Writes `line` and a newline to standard error in one `write`, so that lines from
    /// several threads never interleave.
    public static func writeToStandardError(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 {
                    if written < 0, errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
