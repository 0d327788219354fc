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

    public init(
        pattern: String = "invalidate:*",
        initialBackoff: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(5),
        pollInterval: Duration = .milliseconds(250)
    ) {
        self.pattern = pattern
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.pollInterval = pollInterval
    }
}
