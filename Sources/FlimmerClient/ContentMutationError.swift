/// A mutation of ``ContentMutations`` that did not succeed.
public struct ContentMutationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The server refused it (any status but 2xx; a 503 once the attempts ran out).
        public static let refused = Code("refused")
        /// No attempt was answered (network errors or timeouts, every time).
        public static let unanswered = Code("unanswered")
        /// The content id is not one the server makes (32 lowercase hex digits); nothing was sent.
        public static let invalidID = Code("invalid_id")

        public var description: String { rawValue }
    }

    public let code: Code
    /// The last HTTP status, for `refused`.
    public let status: Int?
    /// The gateway's error body, when it sent one.
    public let serverError: ServerError?
    /// Attempts made.
    public let attempts: Int
    /// The last transport error, for `unanswered`.
    public let underlying: String?

    public init(_ code: Code, status: Int? = nil, serverError: ServerError? = nil, attempts: Int, underlying: String? = nil) {
        self.code = code
        self.status = status
        self.serverError = serverError
        self.attempts = attempts
        self.underlying = underlying
    }

    public var description: String {
        var text = "ContentMutationError(\(code)) after \(attempts) attempt(s)"
        if let status { text += ": status \(status)" }
        if let serverError { text += ", \(serverError)" }
        if let underlying { text += ", \(underlying)" }
        return text
    }
}
