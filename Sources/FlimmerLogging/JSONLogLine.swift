import FlimmerFormats
import Logging

/// A swift-log handler that writes one JSON object per line (``JSONLogLine``).
public typealias JSONLogHandler = LineLogHandler<JSONLogLine>

/// One JSON object per log entry:
/// `{"ts":"…","level":"info","logger":"…","msg":"…","key":"value",…}`.
///
/// Strings are escaped per RFC 8259 (quote, backslash, every control character), so one entry
/// is always one line of valid JSON. Nested metadata stays nested (objects and arrays). A
/// metadata key equal to one of the fixed fields is written as `meta.<key>` so it cannot
/// shadow them.
public enum JSONLogLine: LogLineFormat {
    static let fixedKeys: Set<String> = ["ts", "level", "logger", "msg"]

    /// The record as one line of JSON.
    public static func format(_ record: LogRecord) -> String {
        var line = "{\"ts\":\(JSONText.quoted(record.timestamp)),\"level\":\(JSONText.quoted(record.level.rawValue))"
        line += ",\"logger\":\(JSONText.quoted(record.label)),\"msg\":\(JSONText.quoted(record.message))"
        for (key, value) in record.metadata {
            let name = fixedKeys.contains(key) ? "meta.\(key)" : key
            line += ",\(JSONText.quoted(name)):\(encode(value))"
        }
        return line + "}"
    }

    static func encode(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text):
            return JSONText.quoted(text)
        case .stringConvertible(let value):
            return JSONText.quoted(value.description)
        case .array(let values):
            return "[" + values.map(encode).joined(separator: ",") + "]"
        case .dictionary(let dictionary):
            return "{" + dictionary.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\(encode($0.value))" }.joined(separator: ",") + "}"
        }
    }
}
