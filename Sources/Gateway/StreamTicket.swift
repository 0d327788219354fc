import ContentQueue

/// One open stream as the hub counts it: who holds it, for which family, until when.
public struct StreamTicket: Sendable, Hashable {
    /// Unique within the process.
    public let id: UInt64
    /// The family whose events this stream receives.
    public let family: FamilyID
    /// Who the stream counts against, if anyone.
    public let owner: StreamOwner?
    /// When the stream ends to make its client reconnect.
    public let expiresAt: ContinuousClock.Instant
    /// Whether `expiresAt` is when the client's token stops being accepted (rather than the
    /// stream's lifetime): the client must then reconnect with a new token.
    public let endsWithCredential: Bool
    /// The query keys whose invalidations the stream wants, or nil for all.
    public let keys: Set<QueryKey>?

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}
