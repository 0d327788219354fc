/// Whatever sends commands as one unit and returns their replies in order: the client (its
/// shared, pipelined connection) or a connection lent to one caller (``RedisLease``).
public protocol RedisPipeline: Sendable {
    /// Sends `commands` as one unit and returns their replies in order, with the generation of
    /// the node that answered; an error reply is returned, not thrown.
    func replies(to commands: [RedisCommand]) async throws -> RedisReplies
}

extension RedisPipeline {
    /// Sends `commands` as one unit and returns their replies in order; an error reply is
    /// returned, not thrown.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RedisValue] {
        try await replies(to: commands).values
    }

    /// Sends one command and returns its reply; an error reply is returned, not thrown.
    @discardableResult
    public func send(_ command: RedisCommand) async throws -> RedisValue {
        try await pipeline([command])[0]
    }
}
