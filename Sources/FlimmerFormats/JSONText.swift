/// JSON text written by hand where an encoder would cost more than the value: error bodies,
/// log lines, invalidation payloads.
public enum JSONText {
    /// `text` as a JSON string literal (RFC 8259): `"`, `\` and every control character (DEL
    /// included) are escaped, and so are U+2028 and U+2029, so that the literal is also safe inside
    /// JavaScript and in a log line.
    public static func quoted(_ text: String) -> String {
        var quoted = "\""
        quoted.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    quoted += "\\u" + HexText.padded(UInt16(scalar.value))
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }
}
