import FlimmerLogging
import Foundation

/// One line of `flimmer-sync watch`: when it arrived, the event, then the payload's fields.
///
/// `2026-11-25T05:30:01.123Z  invalidate  family=demo key=contentQueue version=7 reason=approved contentId=… lag=3ms`
///
/// The contract's fields come first in a fixed order, then any others sorted; `ts` is shown as
/// `lag`, the time from the publisher's clock to this line (publisher and watcher clocks may differ).
enum InvalidationLine {
    static let leadingFields = ["family", "key", "version", "reason", "contentId"]

    /// The line for `event` with JSON `data` received at `receivedAt` (UTC ISO 8601), or nil
    /// when `data` is not a JSON object.
    static func make(event: String, data: String, receivedAt: String, nowMilliseconds: Int64) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] else { return nil }
        var fields: [String] = []
        for key in leadingFields {
            if let value = object[key] { fields.append("\(key)=\(LogfmtLine.quote(text(value)))") }
        }
        for key in object.keys.sorted() where !leadingFields.contains(key) && key != "ts" {
            fields.append("\(LogfmtLine.sanitizeKey(key))=\(LogfmtLine.quote(text(object[key]!)))")
        }
        if let ts = (object["ts"] as? NSNumber)?.int64Value {
            fields.append("lag=\(max(0, nowMilliseconds - ts))ms")
        }
        return "\(receivedAt)  \(event)  " + fields.joined(separator: " ")
    }

    /// The family of a JSON payload, if it has one.
    static func family(of data: [UInt8]) -> String? {
        ((try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any])?["family"] as? String
    }

    static func nowMilliseconds() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }

    private static func text(_ value: Any) -> String {
        switch value {
        case let string as String:
            return string
        case let number as NSNumber:
            return number.stringValue
        case is NSNull:
            return "null"
        default:
            // Nested values are shown as their JSON.
            guard JSONSerialization.isValidJSONObject(value), let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
            else { return "\(value)" }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
