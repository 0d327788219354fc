/// Lowercase hexadecimal digits, zero-padded to a fixed width: ids, epochs, `\u` escapes.
public enum HexText {
    /// `value` in lowercase hex with two digits per byte of its type (16 for a `UInt64`, 4 for a `UInt16`).
    public static func padded<Value: FixedWidthInteger & UnsignedInteger>(_ value: Value) -> String {
        let count = MemoryLayout<Value>.size * 2
        return String(unsafeUninitializedCapacity: count) { buffer in
            let digits: StaticString = "0123456789abcdef"
            for index in 0..<count {
                let nibble = Int(truncatingIfNeeded: value >> (4 * (count - 1 - index))) & 0xF
                buffer[index] = digits.utf8Start[nibble]
            }
            return count
        }
    }

    /// Whether `text` is exactly `digits` lowercase hexadecimal digits, as ``padded(_:)`` writes them.
    public static func isLowercaseHex(_ text: String, digits: Int) -> Bool {
        text.utf8.count == digits
            && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }
}
