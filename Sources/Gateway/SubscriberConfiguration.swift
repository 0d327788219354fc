/// Tuning of the gateway's Redis subscription.
public struct SubscriberConfiguration: Sendable {
    /// The pattern subscribed to. Default `invalidate:*`.
    public var pattern: String
    /// First wait before reconnecting after a failure; doubled up to ``maxBackoff``. Default 100 ms.
    public var initialBackoff: Duration
    /// Longest wait between reconnection attempts. Default 5 s.
    public var maxBackoff: Duration
    /// How long one read waits before checking for shutdown. Default 250 ms.
    public var pollInterval: Duration
    /// How often a probe is published on this gateway's own service channel
    /// (`flimmer:probe:<instance>`) to prove that the subscription still delivers. Default 5 s.
    public var probeInterval: Duration
    /// How long a probe may take to come back before the subscription is torn down and made
    /// again. Default 3 s.
    public var probeTimeout: Duration

    public init(
        pattern: String = "invalidate:*",
        initialBackoff: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(5),
        pollInterval: Duration = .milliseconds(250),
        probeInterval: Duration = .seconds(5),
        probeTimeout: Duration = .seconds(3)
    ) {
        self.pattern = pattern
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.pollInterval = pollInterval
        self.probeInterval = probeInterval
        self.probeTimeout = probeTimeout
    }
}
