import ContentQueue

/// Tuning of the gateway's Redis subscription. Each default is the one in ``init(pattern:initialBackoff:maxBackoff:probeInterval:probeTimeout:channels:sweepInterval:)``.
public struct SubscriberConfiguration: Sendable {
    /// The pattern subscribed to (classic pub/sub).
    public var pattern: String
    /// First wait before reconnecting after a failure; doubled up to ``maxBackoff``.
    public var initialBackoff: Duration
    /// Longest wait between reconnection attempts.
    public var maxBackoff: Duration
    /// How often a probe is published on this gateway's own service channel
    /// (`flimmer:probe:<instance>`) to prove that the subscription still delivers.
    public var probeInterval: Duration
    /// How long a probe may take to come back before the subscription is torn down and made
    /// again.
    public var probeTimeout: Duration
    /// Classic pub/sub (one PSUBSCRIBE of ``pattern``, default) or sharded (one SSUBSCRIBE per
    /// family with open streams, on the node that serves it).
    public var channels: InvalidationChannels
    /// Sharded only: how often families without streams are unsubscribed and lost ones
    /// subscribed again.
    public var sweepInterval: Duration

    public init(
        pattern: String = "invalidate:*",
        initialBackoff: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(5),
        probeInterval: Duration = .seconds(5),
        probeTimeout: Duration = .seconds(3),
        channels: InvalidationChannels = .classic,
        sweepInterval: Duration = .seconds(1)
    ) {
        self.pattern = pattern
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.probeInterval = probeInterval
        self.probeTimeout = probeTimeout
        self.channels = channels
        self.sweepInterval = sweepInterval
    }

    /// Throws for a value that cannot work.
    public func validate() throws(ConfigurationError) {
        guard pattern.hasPrefix("invalidate:") else { throw ConfigurationError(setting: "pattern", "must start with invalidate:") }
        for (value, setting) in [
            (initialBackoff, "initialBackoff"), (maxBackoff, "maxBackoff"),
            (probeInterval, "probeInterval"), (probeTimeout, "probeTimeout"), (sweepInterval, "sweepInterval"),
        ] {
            try ConfigurationError.requirePositive(value, setting)
        }
        guard initialBackoff <= maxBackoff else { throw ConfigurationError(setting: "initialBackoff", "must not exceed maxBackoff") }
    }
}
