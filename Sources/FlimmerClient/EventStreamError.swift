/// Why an `EventStream` gave up or dropped a connection.
public struct EventStreamError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The server refused the stream in a way retrying cannot fix (401, 403, 404, 204 and
        /// the like); the sequence ends with this error.
        public static let rejected = Code("rejected")
        /// The server answered something other than a 200 `text/event-stream` with a status
        /// that may pass (5xx, 408, 429); the stream reconnects.
        public static let unexpectedResponse = Code("unexpected_response")
        /// No byte arrived within the idle timeout; the connection is treated as dead and replaced.
        public static let idleTimeout = Code("idle_timeout")

        public var description: String { rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// The HTTP status of the answer, when there was one.
    public let status: Int?
    /// The answer's `Content-Type`, when there was an answer.
    public let contentType: String?
    /// The gateway's error body (`unauthorized`, `too_many_streams`, …), when it sent one.
    public let serverError: ServerError?

    /// An error with the given parts; mostly for tests.
    public init(_ code: Code, status: Int? = nil, contentType: String? = nil, serverError: ServerError? = nil) {
        self.code = code
        self.status = status
        self.contentType = contentType
        self.serverError = serverError
    }

    /// Whether the stream stops instead of reconnecting.
    var isFatal: Bool { code == .rejected }

    public var description: String {
        var text = "EventStreamError(\(code))"
        if let status { text += " status \(status)" }
        if let serverError { text += ": \(serverError)" } else if let contentType { text += ", Content-Type \(contentType)" }
        return text
    }
}
