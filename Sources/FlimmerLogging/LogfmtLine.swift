import FlimmerFormats
import Logging

/// A swift-log handler that writes logfmt lines (``LogfmtLine``).
public typealias LogfmtLogHandler = LineLogHandler<LogfmtLine>

/// One logfmt line per log entry: `ts=… level=info logger=… msg="…" key=value …`.
///
/// Values with a space, `"`, `=` or a control character are quoted, with `"` and `\` escaped
/// and newlines written as `\n`, so one entry is always one line and a value can never forge
/// another field. Nested metadata is flattened to `parent.child=value`.
public enum LogfmtLine: LogLineFormat {
    /// The record as one logfmt line.
    public static func format(_ record: LogRecord) -> String {
        var fields = [
            "ts=\(record.timestamp)", "level=\(record.level.rawValue)", "logger=\(quote(record.label))", "msg=\(quote(record.message))",
        ]
        for (key, value) in record.metadata { flatten(key: key, value: value, into: &fields) }
        return fields.joined(separator: " ")
    }

    private static func flatten(key: String, value: Logger.MetadataValue, into fields: inout [String]) {
        switch value {
        case .dictionary(let dictionary):
            for (child, value) in dictionary.sorted(by: { $0.key < $1.key }) { flatten(key: "\(key).\(child)", value: value, into: &fields) }
        case .array(let values):
            fields.append("\(sanitizeKey(key))=\(quote("[" + values.map(\.description).joined(separator: ",") + "]"))")
        case .string(let text):
            fields.append("\(sanitizeKey(key))=\(quote(text))")
        case .stringConvertible(let value):
            fields.append("\(sanitizeKey(key))=\(quote(value.description))")
        }
    }

    /// `value` as is when it is a bare word, else as a JSON string literal (double quotes, with
    /// `"`, `\` and control characters escaped). An empty value is `""`.
    public static func quote(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains { scalar in
                scalar == " " || scalar == "\"" || scalar == "=" || scalar == "\\" || scalar.value < 0x20 || scalar.value == 0x7F
            }
        return needsQuotes ? JSONText.quoted(value) : value
    }

    /// A key is a bare word: whatever is not a letter, digit or one of `. _ -` becomes `_`.
    public static func sanitizeKey(_ key: String) -> String {
        let cleaned = String(
            String.UnicodeScalarView(
                key.unicodeScalars.map { scalar -> Unicode.Scalar in
                    let keep =
                        (scalar.value >= 0x30 && scalar.value <= 0x39) || (scalar.value >= 0x41 && scalar.value <= 0x5A)
                        || (scalar.value >= 0x61 && scalar.value <= 0x7A) || scalar == "." || scalar == "_" || scalar == "-"
                    return keep ? scalar : "_"
                }
            )
        )
        return cleaned.isEmpty ? "_" : cleaned
    }
}
