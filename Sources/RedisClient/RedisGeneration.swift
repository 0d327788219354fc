/// Which lineage of data a Redis node serves: the start of its replication id (`master_replid`).
///
/// A replica promoted to master takes a new one, and so does a server that restarts; a node
/// that comes back as a replica takes its new master's. Two reads with the same generation come
/// from one history of writes, so an event id or ETag that carries it can never be mistaken for
/// the state of another history (a master that lost the last writes of the one before it).
public struct RedisGeneration: Sendable, Hashable, CustomStringConvertible {
    /// 16 lowercase hexadecimal digits.
    public let rawValue: String

    public init?(_ rawValue: some StringProtocol) {
        guard rawValue.count == 16, rawValue.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            return nil
        }
        self.rawValue = String(rawValue)
    }

    /// The generation in an `INFO replication` reply; `nil` when it names none.
    public init?(info text: String) {
        guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("master_replid:") }) else { return nil }
        self.init(line.dropFirst(14).prefix(16))
    }

    public var description: String { rawValue }
}
