/// A domain failure of a content queue operation.
public struct ContentQueueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// No such item in the family.
        public static let notFound = Code("not_found")
        /// The item has already been decided.
        public static let notPending = Code("not_pending")
        /// Too many concurrent writers; the transaction was retried up to its bound and gave up.
        public static let contention = Code("contention")
        /// A key holds something other than the layout says (set by hand, or by another program).
        public static let corruptState = Code("corrupt_state")
        /// A key that only the gateway's own mutations may invalidate.
        public static let reservedKey = Code("reserved_key")
        /// The Idempotency-Key was used before for another request (another body or route).
        public static let idempotencyKeyReused = Code("idempotency_key_reused")
        /// The write committed on the master, but too few replicas confirmed it in time: it may
        /// be lost if the master fails now. Retry with the same Idempotency-Key.
        public static let replicationTimeout = Code("replication_timeout")

        public var description: String { rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "ContentQueueError(\(code)): \(message)" }
}
