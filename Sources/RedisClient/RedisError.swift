/// An error from the Redis layer, with a code that callers switch on.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case connectionFailed = "connection_failed"
            case io
            case timeout
            case protocolError = "protocol_error"
            case server
            case unexpectedReply = "unexpected_reply"
            case invalidURL = "invalid_url"
            case shutdown
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The TCP connection, AUTH or SELECT failed.
        public static let connectionFailed = Code(.connectionFailed)
        /// A read or write on an open connection failed, or the server closed it.
        public static let io = Code(.io)
        /// Redis did not answer within the configured timeout.
        public static let timeout = Code(.timeout)
        /// hiredis could not parse what the server sent.
        public static let protocolError = Code(.protocolError)
        /// Redis answered with an error reply (WRONGTYPE, NOAUTH, ...).
        public static let server = Code(.server)
        /// The reply did not have the shape the caller expected.
        public static let unexpectedReply = Code(.unexpectedReply)
        /// A `redis://` URL could not be parsed.
        public static let invalidURL = Code(.invalidURL)
        /// The client has been shut down.
        public static let shutdown = Code(.shutdown)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// Details for logs. Never contains a password.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether the connection that raised this error can no longer be used.
    public var breaksConnection: Bool {
        code == .io || code == .timeout || code == .protocolError || code == .connectionFailed
    }

    /// Whether Redis could not be reached or did not answer (as opposed to answering with an error).
    public var isUnavailable: Bool {
        code == .io || code == .timeout || code == .connectionFailed || code == .shutdown
    }

    public var description: String { "RedisError(\(code)): \(message)" }
}
