/// How ``ContentMutations`` retries a mutation whose answer was lost or that the server asked
/// to retry (`503`).
public struct MutationRetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included. Default 5.
    public var maxAttempts: Int
    /// The wait after the first failed attempt; it grows by as much after each. Default 0.5 s.
    public var initialDelay: Duration
    /// The longest wait, `Retry-After` included. Default 5 s.
    public var maxDelay: Duration

    /// A policy; values below their minimum (1 attempt, no wait) are raised to it.
    public init(maxAttempts: Int = 5, initialDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(5)) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = max(.zero, initialDelay)
        self.maxDelay = max(self.initialDelay, maxDelay)
    }

    /// The wait after failed attempt number `attempt` (1 for the first), without a `Retry-After`.
    func delay(after attempt: Int) -> Duration {
        min(initialDelay * attempt, maxDelay)
    }
}
