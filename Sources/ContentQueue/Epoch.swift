import FlimmerFormats

/// Epochs: 16 lowercase hexadecimal digits, drawn at random when a family's epoch key is missing.
///
/// `public` so that the gateway validates Last-Event-ID with the same rule.
public enum Epoch {
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return HexText.padded(generator.next() as UInt64)
    }

    public static func isValid(_ text: Substring) -> Bool {
        let bytes = text.utf8
        // Generous on purpose: an operator may have set the key by hand, and only equality matters.
        return (1...64).contains(bytes.count)
            && bytes.allSatisfy {
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || $0 == UInt8(ascii: "_")
            }
    }
}
