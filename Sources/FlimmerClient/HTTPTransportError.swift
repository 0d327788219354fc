/// An `HTTPTransport` could not give a response.
public struct HTTPTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The URL could not be parsed; nothing was sent.
        public static let invalidURL = Code("invalid_url")
        /// The exchange took longer than the request's `timeout`.
        public static let timedOut = Code("timed_out")
        /// A body was longer than the reader's limit.
        public static let bodyTooLarge = Code("body_too_large")
        /// The connection failed or closed before the response was complete.
        public static let connectionFailed = Code("connection_failed")

        public var description: String { rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// The platform's own account (a `URLError`, a NIO error), when there is one.
    public let underlying: String?

    /// An error with the given parts.
    public init(_ code: Code, underlying: String? = nil) {
        self.code = code
        self.underlying = underlying
    }

    public var description: String {
        underlying.map { "HTTPTransportError(\(code)): \($0)" } ?? "HTTPTransportError(\(code))"
    }
}
