/// Counters of a `QueryCache`'s network traffic, for monitoring and tests.
public struct QueryCacheStatistics: Sendable, Hashable {
    /// Requests sent (one per fetch, whatever the outcome).
    public var requests: Int
    /// Answers 304 Not Modified (the cached value was confirmed).
    public var notModified: Int
    /// Answers 200 (a new body).
    public var updated: Int
    /// Fetches that failed (network error or another status).
    public var failures: Int

    /// Counters with the given values (all zero by default).
    public init(requests: Int = 0, notModified: Int = 0, updated: Int = 0, failures: Int = 0) {
        self.requests = requests
        self.notModified = notModified
        self.updated = updated
        self.failures = failures
    }
}
