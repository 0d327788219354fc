/// Tuning of the fan-out.
public struct EventHubConfiguration: Sendable {
    /// How often every open stream gets a heartbeat comment. Default 15 s.
    public var heartbeatInterval: Duration
    /// The `retry:` sent at the start of each stream: the client's reconnection delay. Default 2000 ms.
    public var retryMilliseconds: Int
    /// Frames that may wait for one stream before the oldest is dropped. Default 16.
    public var mailboxCapacity: Int
    /// How often the versions of families with open streams are re-read from Redis,
    /// as a safety net for events that pub/sub lost. Default 30 s.
    public var recheckInterval: Duration
    /// How long one write to a client may stay blocked (the client stopped reading) before
    /// the stream and its connection are closed; the client reconnects with Last-Event-ID. Default 10 s.
    public var maxWriteStall: Duration
    /// Streams one user (one token `sub` in one family) may hold open at once; past it, 429. Default 10.
    public var maxStreamsPerUser: Int
    /// Streams the process holds open at most; past it, 429. Default 100,000.
    public var maxStreams: Int
    /// Longest life of one stream; it then ends with a comment and the client reconnects with
    /// Last-Event-ID. Each stream gets 90-100 % of it, so that reconnects do not come in waves. Default 1 hour.
    public var maxStreamLifetime: Duration

    public init(
        heartbeatInterval: Duration = .seconds(15),
        retryMilliseconds: Int = 2000,
        mailboxCapacity: Int = 16,
        recheckInterval: Duration = .seconds(30),
        maxWriteStall: Duration = .seconds(10),
        maxStreamsPerUser: Int = 10,
        maxStreams: Int = 100_000,
        maxStreamLifetime: Duration = .seconds(3600)
    ) {
        self.heartbeatInterval = heartbeatInterval
        self.retryMilliseconds = retryMilliseconds
        self.mailboxCapacity = mailboxCapacity
        self.recheckInterval = recheckInterval
        self.maxWriteStall = maxWriteStall
        self.maxStreamsPerUser = maxStreamsPerUser
        self.maxStreams = maxStreams
        self.maxStreamLifetime = maxStreamLifetime
    }
}
