/// A fetch of a `QueryCache` that did not give a value.
public struct QueryCacheError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The server answered neither 200 nor 304.
        public static let unexpectedStatus = Code("unexpected_status")
        /// `value(for:)` found no value and no error (the query was never fetched).
        public static let noValue = Code("no_value")

        public var description: String { rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// The query's key.
    public let key: String
    /// The HTTP status, for `unexpectedStatus`.
    public let status: Int?
    /// The gateway's error body, when it sent one.
    public let serverError: ServerError?

    /// An error with the given parts; mostly for tests.
    public init(_ code: Code, key: String, status: Int? = nil, serverError: ServerError? = nil) {
        self.code = code
        self.key = key
        self.status = status
        self.serverError = serverError
    }

    public var description: String {
        var text = "QueryCacheError(\(code)) for \(key)"
        if let status { text += ": status \(status)" }
        if let serverError { text += ", \(serverError)" }
        return text
    }
}
