/// A query key that clients cache and services invalidate: `profile`, `contentQueue`.
/// 1-64 of `A-Z a-z 0-9 _ -`, starting with a letter, so that it can never reach outside
/// `<key>:{F}:version` or `invalidate:<key>`.
public struct QueryKey: Hashable, Sendable, CustomStringConvertible {
    /// The validated text.
    public let rawValue: String

    /// Returns `nil` unless `rawValue` is a valid key.
    public init?(_ rawValue: String) {
        guard let first = rawValue.unicodeScalars.first, Self.isLetter(first), Identifier.isValid(rawValue, maxLength: 64, extra: [])
        else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// The content queue's key: its versions belong to the queue's own mutations.
    public static let contentQueue = QueryKey(ContentQueueStore.invalidationKey)!

    /// Whether the key belongs to the content queue, so that no service may invalidate it:
    /// `contentQueue` itself, and every other name of the queue's key layout
    /// (``ContentKeys/layoutNames``), whose `<key>:{F}:version` could be one of the queue's own
    /// keys.
    public var isReserved: Bool { ContentKeys.layoutNames.contains(rawValue) }

    /// `<key>:{F}:version`: the key's version for a family, in the family's cluster slot.
    public func versionKey(family: FamilyID) -> String {
        "\(rawValue):{\(family.rawValue)}:version"
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }
}
