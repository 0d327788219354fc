/// Exponential backoff with jitter: attempt n waits base·2ⁿ, capped, times a random factor in [1, 1.5].
///
/// The jitter is only upward so the first delay is never shorter than the server's `retry:`;
/// it spreads the reconnects of many clients after one gateway restart.
public struct ReconnectBackoff: Sendable {
    /// The delay of attempt 0 (the server's `retry:`).
    public var base: Duration
    /// No delay is longer than this.
    public var cap: Duration

    /// A backoff from `base` up to `cap`.
    public init(base: Duration, cap: Duration) {
        self.base = base
        self.cap = cap
    }

    /// The delay before reconnect attempt `attempt` (0 for the first one after a drop).
    public func delay(attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &generator)
    }

    /// The same with a chosen random source (for tests).
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let exponent = min(max(attempt, 0), 30)
        let baseMilliseconds = max(Double(base.components.seconds) * 1000 + Double(base.components.attoseconds) / 1e15, 0)
        let capMilliseconds = Double(cap.components.seconds) * 1000 + Double(cap.components.attoseconds) / 1e15
        let raw = min(baseMilliseconds * Double(1 << exponent), capMilliseconds)
        let jittered = min(raw * Double.random(in: 1...1.5, using: &generator), capMilliseconds)
        return .milliseconds(Int64(jittered.rounded()))
    }
}
