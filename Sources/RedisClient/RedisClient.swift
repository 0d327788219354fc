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
    /// `topology` when it is a cluster: the one whose redirections requests follow.
    let cluster: ClusterTopology?
    let onRedirect: @Sendable (String) -> Void

    /// Creates the client. Connections are made on first use.
    ///
    /// - Parameters:
    ///   - eventLoopGroup: where the connections live; NIO's shared group unless told otherwise,
    ///     so that Redis I/O runs on the same loops as HTTP and costs no thread of its own.
    ///   - onReconnect: called each time a connection lost to a failure is replaced (a metric;
    ///     the client itself depends on no metrics library).
    ///   - onMasterChange: called with the new address each time the master that Sentinel names
    ///     moves; in a cluster, each time the slot map changes (a shard failed over, slots moved),
    ///     with a master that serves a slot that moved. Never for one fixed server.
    ///   - onRedirect: called each time a request follows a cluster redirection, with its kind:
    ///     `moved`, `ask`, or `retry` (TRYAGAIN, CLUSTERDOWN). Never outside a cluster.
    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onReconnect: @escaping @Sendable () -> Void = {},
        onMasterChange: @escaping @Sendable (RedisNodeAddress) -> Void = { _ in },
        onRedirect: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.onRedirect = onRedirect
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        if let cluster = configuration.cluster {
            let topology = ClusterTopology(
                configuration: configuration,
                cluster: cluster,
                group: eventLoopGroup,
                logger: logger,
                onReconnect: onReconnect,
                onMapChange: onMasterChange
            )
            self.topology = topology
            self.cluster = topology
            return
        }
        self.cluster = nil
        if let sentinel = configuration.sentinel {
            self.topology = SentinelTopology(
                configuration: configuration,
                sentinel: sentinel,
                group: eventLoopGroup,
                logger: logger,
                onReconnect: onReconnect,
                onMasterChange: onMasterChange
            )
        } else {
            let node = RedisNode(
                address: RedisNodeAddress(host: configuration.host, port: configuration.port),
                configuration: configuration,
                group: eventLoopGroup,
                logger: logger,
                onReconnect: onReconnect
            )
            self.topology = StandaloneTopology(node: node)
        }
    }

    /// Connections made since start, including reconnects after failures.
    public var connectionsMade: Int { topology.nodes.reduce(0) { $0 + $1.connectionsMade } }

    /// Connections made to replace one lost to a failure.
    public var reconnects: Int { topology.nodes.reduce(0) { $0 + $1.reconnects } }

    /// How many times the master moved since start (Sentinel; in a cluster, how many times the
    /// slot map changed; the first master or map found does not count).
    public var masterChanges: Int { topology.changes }

    /// Sends `commands` as one unit (a MULTI … EXEC block is never interleaved with other
    /// requests' commands) and returns their replies in order, with the answering node's
    /// generation. Commands a replica refused (`READONLY`: nothing was written) are sent once
    /// more to the master the topology names then. In a cluster they go to the master of slot 0:
    /// keyed commands go through ``replies(to:slot:)`` or ``routed(by:)``.
    public func replies(to commands: [RedisCommand]) async throws -> RedisReplies {
        try await replies(to: commands, slot: nil)
    }

    /// Runs `body` with a connection of its own, for commands that must stay on one connection:
    /// WATCH, reads, then MULTI … EXEC. At most ``RedisConfiguration/poolSize`` such connections
    /// are lent at once; past that, a caller waits up to ``RedisConfiguration/poolWaitTimeout``
    /// and then gets ``RedisError/Code/busy``. A connection whose body threw is closed, not lent
    /// again. A body whose writes a replica refused (`READONLY`: nothing was written) runs once
    /// more, on the master the topology names then. In a cluster, see ``withConnection(slot:_:)``.
    public func withConnection<Result: Sendable>(_ body: (RedisLease) async throws -> Result) async throws -> Result {
        try await withConnection(slot: nil, body)
    }

    /// Opens a connection of its own in subscribe mode, subscribes to `patterns` and `channels`,
    /// and calls `onMessage` for each message Redis pushes, on the connection's event loop (keep
    /// it short: the loop waits for it). The caller closes the subscription; a lost connection is
    /// not remade (see ``RedisSubscription/closed()``), and a master that moves closes it.
    public func subscribe(
        patterns: [String] = [],
        channels: [String] = [],
        onMessage: @escaping @Sendable (RedisPubSubMessage) -> Void
    ) async throws -> RedisSubscription {
        try await subscribe(slot: nil, patterns: patterns, channels: channels, onMessage: onMessage)
    }

    /// Opens a subscription on the node that serves `slot` (the one master outside a cluster):
    /// where a shard channel of that slot is published (SSUBSCRIBE). See
    /// ``subscribe(patterns:channels:onMessage:)``.
    public func subscribe(
        slot: RedisSlot?,
        patterns: [String] = [],
        channels: [String] = [],
        shardChannels: [String] = [],
        onMessage: @escaping @Sendable (RedisPubSubMessage) -> Void
    ) async throws -> RedisSubscription {
        let node = try await target(slot)
        let connection = try await reporting(node) { try await node.connect(onPush: onMessage) }
        let subscription = RedisSubscription(connection: connection, address: node.address)
        do {
            try await subscription.subscribe(patterns: patterns, channels: channels, shardChannels: shardChannels)
        } catch {
            subscription.close()
            throw error
        }
        return subscription
    }

    /// Runs `work` against `node`; a failure that may mean the node is no longer the right one
    /// is reported to the topology, which asks again before the next request.
    func reporting<T>(_ node: RedisNode, _ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch let error as RedisError where error.breaksConnection || error.isReadOnlyRefusal {
            topology.report(node)
            throw error
        }
    }

    /// Waits for graceful shutdown, then closes every connection.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Closes every connection. Later calls fail with ``RedisError/Code/shutdown``.
    public func shutdown() async {
        topology.shutdown()
    }
}
