/// The client's commands for one slot: see ``RedisClient/routed(by:)``.
public struct RedisRoute: RedisPipeline {
    let client: RedisClient
    /// The slot the commands' keys are in.
    public let slot: RedisSlot

    public func replies(to commands: [RedisCommand]) async throws -> RedisReplies {
        try await client.replies(to: commands, slot: slot)
    }

    /// ``RedisClient/withConnection(slot:_:)`` for this slot.
    public func withConnection<Result: Sendable>(_ body: (RedisLease) async throws -> Result) async throws -> Result {
        try await client.withConnection(slot: slot, body)
    }
}
