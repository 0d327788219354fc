import FlimmerFormats

/// A family id: the unit of isolation. 1-64 of `A-Z a-z 0-9 _ -`.
///
/// The charset keeps ids safe inside Redis key names and hash tags: no `{`, `}`, `:`,
/// `*`, spaces or newlines can reach a key or a channel through a family id.
public struct FamilyID: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The validated text.
    public let rawValue: String

    /// Returns `nil` unless `rawValue` is a valid family id.
    public init?(_ rawValue: String) {
        guard Identifier.isValid(rawValue, maxLength: 64, extra: []) else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = FamilyID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid family id"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A user id (the token's `sub`). 1-128 of `A-Z a-z 0-9 _ - . @`.
public struct UserID: Hashable, Sendable, CustomStringConvertible {
    /// The validated text.
    public let rawValue: String

    /// Returns `nil` unless `rawValue` is a valid user id.
    public init?(_ rawValue: String) {
        guard Identifier.isValid(rawValue, maxLength: 128, extra: [UInt8(ascii: "."), UInt8(ascii: "@")]) else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}

/// A content id, made by the server: 32 lowercase hexadecimal digits.
public struct ContentID: Hashable, Sendable, CustomStringConvertible {
    /// The validated text.
    public let rawValue: String

    /// Returns `nil` unless `rawValue` has the server's content id format.
    public init?(_ rawValue: String) {
        guard HexText.isLowercaseHex(rawValue, digits: 32) else { return nil }
        self.rawValue = rawValue
    }

    /// A new random id (128 bits from the system's secure generator).
    public static func random() -> ContentID {
        var generator = SystemRandomNumberGenerator()
        return ContentID(HexText.padded(generator.next() as UInt64) + HexText.padded(generator.next() as UInt64))!
    }

    public var description: String { rawValue }
}

enum Identifier {
    static func isValid(_ text: String, maxLength: Int, extra: Set<UInt8>) -> Bool {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                || extra.contains(byte)
        }
    }
}
