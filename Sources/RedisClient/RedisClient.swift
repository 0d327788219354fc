import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The gateway's Redis client: NIO channels own the sockets, hiredis is the protocol, and no
/// thread blocks on a reply.
///
/// Requests from many tasks share one connection per node and are pipelined on it (see
/// ``RedisCommandHandler``); ``withConnection(_:)`` lends a connection of its own for an
/// optimistic transaction. Where each command goes is the topology's business (one node today),
/// how it travels to that node is ``RedisNode``'s.
///
/// Run it in a `ServiceGroup` so that it closes its connections on graceful shutdown, after the
/// services that use it.
public final class RedisClient: Service, RedisPipeline {
    /// Where Redis is and how long to wait for it.
    public let configuration: RedisConfiguration
    /// The event loops the connections live on.
    public let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let topology: any RedisTopology

    /// Creates the client. Connections are made on first use.
    ///
    /// - Parameters:
    ///   - eventLoopGroup: where the connections live; NIO's shared group unless told otherwise,
    ///     so that Redis I/O runs on the same loops as HTTP and costs no thread of its own.
    ///   - onReconnect: called each time a connection lost to a failure is replaced (a metric;
    ///     the client itself depends on no metrics library).
    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onReconnect: @escaping @Sendable () -> Void = {}
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        let node = RedisNode(
            address: RedisNodeAddress(host: configuration.host, port: configuration.port),
            configuration: configuration,
            group: eventLoopGroup,
            logger: logger,
            onReconnect: onReconnect
        )
        self.topology = StandaloneTopology(node: node)
    }

    /// Connections made since start, including reconnects after failures.
    public var connectionsMade: Int { topology.nodes.reduce(0) { $0 + $1.connectionsMade } }

    /// Connections made to replace one lost to a failure.
    public var reconnects: Int { topology.nodes.reduce(0) { $0 + $1.reconnects } }

    /// Sends `commands` as one unit (a MULTI … EXEC block is never interleaved with other
    /// requests' commands) and returns their replies in order.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        return try await topology.primary().send(commands)
    }

    /// Runs `body` with a connection of its own, for commands that must stay on one connection:
    /// WATCH, reads, then MULTI … EXEC. At most ``RedisConfiguration/poolSize`` such connections
    /// are lent at once; past that, a caller waits up to ``RedisConfiguration/poolWaitTimeout``
    /// and then gets ``RedisError/Code/busy``. A connection whose body threw is closed, not lent again.
    public func withConnection<Result: Sendable>(_ body: (RedisLease) async throws -> Result) async throws -> Result {
        try await topology.primary().withLease(body)
    }

    /// Opens a connection of its own in subscribe mode, subscribes to `patterns` and `channels`,
    /// and calls `onMessage` for each message Redis pushes, on the connection's event loop (keep
    /// it short: the loop waits for it). The caller closes the subscription; a lost connection is
    /// not remade (see ``RedisSubscription/closed()``).
    public func subscribe(
        patterns: [String] = [],
        channels: [String] = [],
        onMessage: @escaping @Sendable (RedisPubSubMessage) -> Void
    ) async throws -> RedisSubscription {
        let node = try await topology.primary()
        let connection = try await RedisNodeConnection.connect(
            to: node.address,
            configuration: configuration,
            group: eventLoopGroup,
            onPush: onMessage
        )
        let subscription = RedisSubscription(connection: connection, address: node.address)
        do {
            try await subscription.subscribe(patterns: patterns, channels: channels)
        } catch {
            subscription.close()
            throw error
        }
        return subscription
    }

    /// Waits for graceful shutdown, then closes every connection.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Closes every connection. Later calls fail with ``RedisError/Code/shutdown``.
    public func shutdown() async {
        for node in topology.nodes { node.shutdown() }
    }
}
