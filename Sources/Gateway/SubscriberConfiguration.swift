/// Tuning of the gateway's Redis subscription. Each default is the one in
/// ``init(pattern:initialBackoff:maxBackoff:pollInterval:probeInterval:probeTimeout:)``.
public struct SubscriberConfiguration: Sendable {
    /// The pattern subscribed to.
    public var pattern: String
    /// First wait before reconnecting after a failure; doubled up to ``maxBackoff``.
    public var initialBackoff: Duration
    /// Longest wait between reconnection attempts.
    public var maxBackoff: Duration
    /// How long one read waits before checking for shutdown.
    public var pollInterval: Duration
    /// How often a probe is published on this gateway's own service channel
    /// (`flimmer:probe:<instance>`) to prove that the subscription still delivers.
    public var probeInterval: Duration
    /// How long a probe may take to come back before the subscription is torn down and made
    /// again.
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

    /// Throws for a value that cannot work.
    public func validate() throws(ConfigurationError) {
        guard pattern.hasPrefix("invalidate:") else { throw ConfigurationError(setting: "pattern", "must start with invalidate:") }
        for (value, setting) in [
            (initialBackoff, "initialBackoff"), (maxBackoff, "maxBackoff"), (pollInterval, "pollInterval"),
            (probeInterval, "probeInterval"), (probeTimeout, "probeTimeout"),
        ] {
            try ConfigurationError.requirePositive(value, setting)
        }
        guard initialBackoff <= maxBackoff else { throw ConfigurationError(setting: "initialBackoff", "must not exceed maxBackoff") }
    }
}
