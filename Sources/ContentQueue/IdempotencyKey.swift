/// A client's `Idempotency-Key`: 1-255 printable ASCII characters. The same key on a retry of
/// the same request makes the retry return what the first one did, and write nothing.
public struct IdempotencyKey: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    /// Returns `nil` unless `rawValue` is 1-255 printable ASCII characters (space to tilde).
    public init?(_ rawValue: String) {
        guard (1...255).contains(rawValue.utf8.count), rawValue.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}
