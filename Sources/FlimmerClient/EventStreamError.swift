/// Why an `EventStream` gave up or dropped a connection.
public enum EventStreamError: Error, Sendable, Hashable {
    /// The server refused the stream in a way retrying cannot fix (e.g. 401, 403, 404, 204); the sequence ends with this.
    case rejected(status: Int)
    /// The server answered something other than `text/event-stream` with a retryable status.
    case unexpectedResponse(status: Int, contentType: String?)
    /// No byte arrived within the idle timeout; the connection is treated as dead and replaced.
    case idleTimeout

    /// Whether the stream stops instead of reconnecting.
    var isFatal: Bool {
        if case .rejected = self { return true }
        return false
    }
}
