/// Tuning of an `EventStream`'s reconnects and dead-connection detection, and what it reports besides its elements.
public struct EventStreamConfiguration: Sendable {
    /// A connection that delivers no byte (not even a heartbeat comment) for this long is dead.
    /// Default 45 s: three of the gateway's 15 s heartbeats.
    public var idleTimeout: Duration
    /// The first reconnect delay until the server sends `retry:`. Default 2 s.
    public var defaultRetry: Duration
    /// The cap of the exponential backoff. Default 30 s.
    public var maximumRetry: Duration
    /// The id to send as `Last-Event-ID` on the first connection (e.g. a queue ETag without quotes),
    /// so that what happened since arrives as a catch-up event.
    public var lastEventID: String?
    /// Called with what the elements do not carry (comments, id changes, why a connection
    /// ended), on the stream's task: it should return quickly. Default: none.
    public var observer: (@Sendable (EventStreamObservation) -> Void)?

    /// The defaults, with any of them replaced.
    public init(
        idleTimeout: Duration = .seconds(45),
        defaultRetry: Duration = .seconds(2),
        maximumRetry: Duration = .seconds(30),
        lastEventID: String? = nil,
        observer: (@Sendable (EventStreamObservation) -> Void)? = nil
    ) {
        self.idleTimeout = idleTimeout
        self.defaultRetry = defaultRetry
        self.maximumRetry = maximumRetry
        self.lastEventID = lastEventID
        self.observer = observer
    }
}
