/// What a token's holder may do.
public enum Role: String, Sendable, CaseIterable, Codable {
    /// Reads the family's queue, decides on items, opens the family's stream.
    case parent
    /// Uploads, reads its own items, opens the family's stream.
    case child
    /// A backend service: invalidates query keys (`POST /api/invalidate`), for one family or,
    /// with `fam` `*`, for every family. Opens no stream and reads no queue.
    case service
}
