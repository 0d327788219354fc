import NIOCore

/// A connection in subscribe mode: Redis pushes the messages of its channels and patterns, and
/// the client hands each to the subscriber's closure on the connection's event loop, without a
/// hop through another thread. Made by ``RedisClient/subscribe(patterns:channels:onMessage:)``.
public final class RedisSubscription: Sendable {
    let connection: RedisNodeConnection
    /// The node it listens to.
    public let address: RedisNodeAddress

    /// The node's generation when the subscription was made: the lineage of the writes whose
    /// events arrive on it.
    public var generation: RedisGeneration? { connection.generation }

    init(connection: RedisNodeConnection, address: RedisNodeAddress) {
        self.connection = connection
        self.address = address
    }

    /// Subscribes to more patterns (PSUBSCRIBE), channels (SUBSCRIBE) and shard channels
    /// (SSUBSCRIBE, one command each: a node refuses shard channels of several slots in one) and
    /// waits until Redis has confirmed each. A refusal (an ACL without the channel, a shard
    /// channel whose slot this node does not serve: `MOVED`) throws.
    public func subscribe(patterns: [String] = [], channels: [String] = [], shardChannels: [String] = []) async throws {
        let commands =
            patterns.map { RedisCommand("PSUBSCRIBE", $0) } + channels.map { RedisCommand("SUBSCRIBE", $0) }
            + shardChannels.map { RedisCommand("SSUBSCRIBE", $0) }
        try await confirm(commands)
    }

    /// Unsubscribes from shard channels (SUNSUBSCRIBE) and waits until Redis has confirmed each.
    public func unsubscribe(shardChannels: [String]) async throws {
        try await confirm(shardChannels.map { RedisCommand("SUNSUBSCRIBE", $0) })
    }

    private func confirm(_ commands: [RedisCommand]) async throws {
        guard !commands.isEmpty else { return }
        for (command, reply) in zip(commands, try await connection.send(commands)) {
            guard case .array(let parts) = reply, let kind = parts.first?.string, kind == command.name.lowercased() else {
                throw RedisError.serverReply(reply.errorMessage ?? "\(command.name) was answered \(reply)")
            }
        }
    }

    /// Whether the connection is still up. Messages published while it is down are lost: a new
    /// subscription must catch up from the data itself.
    public var isActive: Bool { connection.isUsable }

    /// Returns when the connection has closed, for whatever reason.
    public func closed() async {
        try? await connection.channel.closeFuture.get()
    }

    /// Closes the connection.
    public func close() {
        connection.close()
    }
}
