/// What a token's holder may do.
public enum Role: String, Sendable, CaseIterable, Codable {
    /// Reads the family's queue, decides on items, opens the family's stream.
    case parent
    /// Uploads, reads its own items, opens the family's stream.
    case child
}
