import ContentQueue

/// What a client asked for when it opened a stream, already authenticated by the server.
public struct StreamRequest: Sendable {
    /// The family whose events the stream carries.
    public var family: FamilyID
    /// Who holds the stream; counted against ``EventHubConfiguration/maxStreamsPerUser``. Nil: not counted.
    public var user: UserID?
    /// The query keys whose invalidations the stream wants; nil for all. Resets reach every stream.
    public var keys: Set<QueryKey>?
    /// The last event id the client saw (`Last-Event-ID`), if any.
    public var lastEventID: String?
    /// When the client's credential (its token) stops being accepted. The stream ends at the
    /// earlier of this and its lifetime, so no stream outlives its token.
    public var credentialExpiry: ContinuousClock.Instant?

    public init(
        family: FamilyID,
        user: UserID? = nil,
        keys: Set<QueryKey>? = nil,
        lastEventID: String? = nil,
        credentialExpiry: ContinuousClock.Instant? = nil
    ) {
        self.family = family
        self.user = user
        self.keys = keys
        self.lastEventID = lastEventID
        self.credentialExpiry = credentialExpiry
    }
}
