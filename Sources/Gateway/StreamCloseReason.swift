/// Why a stream ends.
public enum StreamCloseReason: Sendable, Equatable {
    /// The gateway is shutting down.
    case shutdown
    /// The client went away or the request's task was cancelled.
    case cancelled
    /// The client stopped reading: its connection stayed unwritable past the hub's limit.
    case stalled
    /// The stream reached its maximum lifetime.
    case lifetime
    /// The token the stream was opened with is no longer accepted.
    case credentialExpired
}
