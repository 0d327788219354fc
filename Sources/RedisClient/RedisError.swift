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
            case serverUnavailable = "server_unavailable"
            case unexpectedReply = "unexpected_reply"
            case invalidURL = "invalid_url"
            case invalidConfiguration = "invalid_configuration"
            case shutdown
            case busy
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
        /// Redis answered that it cannot serve right now (LOADING after a restart, BUSY script,
        /// MASTERDOWN, CLUSTERDOWN, TRYAGAIN, READONLY, NOREPLICAS): as good as unreachable for
        /// the caller.
        public static let serverUnavailable = Code(.serverUnavailable)
        /// The reply did not have the shape the caller expected.
        public static let unexpectedReply = Code(.unexpectedReply)
        /// A `redis://` URL could not be parsed.
        public static let invalidURL = Code(.invalidURL)
        /// A ``RedisConfiguration`` value cannot work (``RedisConfiguration/validate()``).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The client has been shut down.
        public static let shutdown = Code(.shutdown)
        /// Every connection a caller may hold for itself (for WATCH) was in use past the wait allowed.
        public static let busy = Code(.busy)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// Details for logs. Never contains a password.
    public let message: String

    /// Whether the commands surely never reached Redis (the connection failed before they were
    /// written), so that running them again elsewhere cannot run them twice.
    public let isRetryable: Bool

    public init(_ code: Code, _ message: String, retryable: Bool = false) {
        self.code = code
        self.message = message
        self.isRetryable = retryable
    }

    /// The same error, marked safe to retry.
    func retryable() -> RedisError {
        RedisError(code, message, retryable: true)
    }

    /// Whether the connection that raised this error can no longer be used.
    public var breaksConnection: Bool {
        code == .io || code == .timeout || code == .protocolError || code == .connectionFailed
    }

    /// Whether a replica refused a write (`READONLY`): nothing was written, and the master is elsewhere.
    public var isReadOnlyRefusal: Bool { message.hasPrefix("READONLY") }

    /// Whether Redis could not be reached, did not answer, or answered that it cannot serve yet.
    public var isUnavailable: Bool {
        code == .io || code == .timeout || code == .connectionFailed || code == .shutdown || code == .serverUnavailable || code == .busy
    }

    /// The error for an error reply, classified by its prefix.
    public static func serverReply(_ message: String) -> RedisError {
        // READONLY: a replica refused a write, so the master moved (or is moving): as unavailable
        // as a node that is loading; the client asks for the master again. NOREPLICAS: a master
        // with too few replicas attached (min-replicas-to-write: just promoted, or cut off)
        // refused a write, which it refuses whole, so nothing was written.
        // MOVED, ASK: a cluster redirection the client gave up following (the slot map is in flux).
        let transient = ["LOADING", "BUSY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "READONLY", "NOREPLICAS", "MOVED", "ASK"]
        let prefix = message.prefix { $0 != " " }
        return RedisError(transient.contains(String(prefix)) ? .serverUnavailable : .server, message)
    }

    public var description: String { "RedisError(\(code)): \(message)" }
}
