/// The replies to commands sent as one unit, and the generation of the node that answered them.
public struct RedisReplies: Sendable {
    /// One reply per command, in order.
    public var values: [RedisValue]
    /// The answering node's generation, when it could tell (its user may run INFO).
    public var generation: RedisGeneration?

    public init(values: [RedisValue], generation: RedisGeneration?) {
        self.values = values
        self.generation = generation
    }
}
