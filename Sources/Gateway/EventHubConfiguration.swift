/// Tuning of the fan-out. Each default is the one in
/// ``init(heartbeatInterval:retryMilliseconds:maxQueuedFrames:recheckInterval:maxWriteStall:maxStreamsPerUser:maxStreams:maxStreamLifetime:)``.
public struct EventHubConfiguration: Sendable {
    /// How often every open stream gets a heartbeat comment.
    public var heartbeatInterval: Duration
    /// The `retry:` sent at the start of each stream: the client's reconnection delay.
    public var retryMilliseconds: Int
    /// Frames that may wait for one stream while its client cannot take more; past it the oldest is dropped.
    public var maxQueuedFrames: Int
    /// How often the versions of families with open streams are re-read from Redis,
    /// as a safety net for events that pub/sub lost.
    public var recheckInterval: Duration
    /// How long one write to a client may stay blocked (the client stopped reading) before
    /// the stream and its connection are closed; the client reconnects with Last-Event-ID.
    public var maxWriteStall: Duration
    /// Streams one user (one token `sub` in one family) may hold open at once; past it, 429.
    public var maxStreamsPerUser: Int
    /// Streams the process holds open at most; past it, 429.
    public var maxStreams: Int
    /// Longest life of one stream; it then ends with a comment and the client reconnects with
    /// Last-Event-ID. Each stream gets 90-100 % of it, so that reconnects do not come in waves.
    public var maxStreamLifetime: Duration
    /// Whether a generation a family left may be its own again: true on a Redis Cluster, where
    /// a family's slot can move back to a node it left (whose replication id did not change). A
    /// read from such a node that holds at least what was relayed then makes it the family's
    /// history again; otherwise (one server, Sentinel: a node that comes back has a new
    /// generation) its reads and events stay stale. Not an initializer parameter; default false.
    public var generationsMayReturn = false

    public init(
        heartbeatInterval: Duration = .seconds(15),
        retryMilliseconds: Int = 2000,
        maxQueuedFrames: Int = 16,
        recheckInterval: Duration = .seconds(30),
        maxWriteStall: Duration = .seconds(10),
        maxStreamsPerUser: Int = 10,
        maxStreams: Int = 100_000,
        maxStreamLifetime: Duration = .seconds(3600)
    ) {
        self.heartbeatInterval = heartbeatInterval
        self.retryMilliseconds = retryMilliseconds
        self.maxQueuedFrames = maxQueuedFrames
        self.recheckInterval = recheckInterval
        self.maxWriteStall = maxWriteStall
        self.maxStreamsPerUser = maxStreamsPerUser
        self.maxStreams = maxStreams
        self.maxStreamLifetime = maxStreamLifetime
    }

    /// Throws for a value that cannot work: a duration that is not positive, a cap below one.
    public func validate() throws(ConfigurationError) {
        try ConfigurationError.requirePositive(heartbeatInterval, "heartbeatInterval")
        try ConfigurationError.require(retryMilliseconds, in: 0...86_400_000, "retryMilliseconds")
        try ConfigurationError.require(maxQueuedFrames, in: 1...Int.max, "maxQueuedFrames")
        try ConfigurationError.requirePositive(recheckInterval, "recheckInterval")
        try ConfigurationError.requirePositive(maxWriteStall, "maxWriteStall")
        try ConfigurationError.require(maxStreamsPerUser, in: 1...Int.max, "maxStreamsPerUser")
        try ConfigurationError.require(maxStreams, in: 1...Int.max, "maxStreams")
        try ConfigurationError.requirePositive(maxStreamLifetime, "maxStreamLifetime")
    }
}
