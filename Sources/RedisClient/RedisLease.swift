import NIOConcurrencyHelpers

/// A connection held by one caller for a few round trips: what an optimistic transaction needs,
/// since WATCH holds only on the connection it was sent on. See ``RedisClient/withConnection(_:)``.
public final class RedisLease: RedisPipeline {
    let connection: RedisNodeConnection
    private let replies = NIOLockedValueBox(0)

    /// Cluster routing: ASKING before each unit, redirections remembered; nil outside a cluster.
    let routing: LeaseRouting?

    init(connection: RedisNodeConnection, routing: LeaseRouting? = nil) {
        self.connection = connection
        self.routing = routing
    }

    /// Replies received on this lease so far: none means nothing the caller sent has run.
    var repliesRead: Int { replies.withLockedValue { $0 } }

    /// Sends `commands` as one unit and returns their replies in order.
    public func replies(to commands: [RedisCommand]) async throws -> RedisReplies {
        var result: [RedisValue]
        if let routing, routing.asking {
            result = Array(try await connection.send([RedisCommand("ASKING")] + commands).dropFirst())
        } else {
            result = try await connection.send(commands)
        }
        routing?.inspect(result)
        replies.withLockedValue { $0 += result.count }
        return RedisReplies(values: result, generation: connection.generation)
    }
}
