/// How the chaos load retries one logical write: every attempt carries the write's own
/// `Idempotency-Key`, and an attempt answered 503 or not answered at all (refused, reset,
/// timed out) is sent again, the same bytes with the same key, after a growing pause. Any other
/// answer is final: 2xx is the acknowledgement, 4xx and 5xx other than 503 are errors.
///
/// A 503 `replication_timeout` has committed (the server answers the retry from its record,
/// `Idempotent-Replayed: true`); a 503 `redis_unavailable` or no answer may or may not have: the
/// key makes the retry safe either way.
struct WriteRetry: Sendable, Equatable {
    /// Attempts in all, the first included.
    var attempts = 8
    /// The pause before the first retry; doubled for each further one, up to `maxDelay`.
    var firstDelay: Duration = .milliseconds(250)
    var maxDelay: Duration = .seconds(2)

    /// Whether an attempt answered `status` (nil: no answer) is sent again.
    static func isRetried(_ status: Int?) -> Bool {
        status == nil || status == 503
    }

    /// The pause after failed attempt `attempt` (1 for the first), or nil when it was the last.
    func delay(after attempt: Int) -> Duration? {
        guard attempt >= 1, attempt < attempts else { return nil }
        var delay = firstDelay
        for _ in 1..<attempt {
            delay = delay * 2
            if delay >= maxDelay { return maxDelay }
        }
        return min(delay, maxDelay)
    }

    /// The longest a write may keep retrying, its answers not counted: the sum of the pauses.
    var patience: Duration {
        (1..<attempts).reduce(Duration.zero) { $0 + (delay(after: $1) ?? .zero) }
    }

    /// An answer as the tallies name it: `503 replication_timeout` (status and error code),
    /// `200`; nil when there was none.
    static func answer(status: Int?, body: [String: Any]?) -> String? {
        status.map { "\($0)\(errorCode(body).map { " \($0)" } ?? "")" }
    }

    /// The `error.code` of a JSON error body (`{"error":{"code":"…"}}`), for the tally of 503s.
    static func errorCode(_ body: [String: Any]?) -> String? {
        (body?["error"] as? [String: Any])?["code"] as? String
    }
}
