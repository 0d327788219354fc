import Logging
import NIOConcurrencyHelpers
import NIOCore

/// A Redis Cluster, followed by the cluster client rules (redis.io, "Redis cluster
/// specification", clients): hiredis has no cluster support, so the routing is here, on top of
/// the same transport as one server (``RedisNode`` per master).
///
/// - **The slot map** comes from `CLUSTER SLOTS`, asked of the known masters and then of the
///   seed nodes in turn. It is asked again when it is older than
///   ``RedisClusterConfiguration/refreshInterval`` (in the background, the old map serving
///   meanwhile), and before the next request after any redirection or any connection a node lost.
/// - **Redirections** are followed by ``RedisClient``: `MOVED` updates the map at once
///   (``moved(_:to:)``), `ASK` sends the request once to the importing node after `ASKING`.
/// - **Nothing left on a node that left.** A node that is no longer a master in a new map is shut
///   down: its shared, lent and subscription connections close, so that no request and no
///   subscriber stays on a node that no longer serves the slots it had.
final class ClusterTopology: RedisTopology {
    private struct State {
        var map: ClusterSlotMap?
        var nodes: [RedisNodeAddress: RedisNode] = [:]
        var refreshing: Task<ClusterSlotMap, any Error>?
        var refreshedAt: ContinuousClock.Instant?
        var stale = true
        var isShutdown = false
        var changes = 0
    }

    private let cluster: RedisClusterConfiguration
    private let configuration: RedisConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let onReconnect: @Sendable () -> Void
    private let onMapChange: @Sendable (RedisNodeAddress) -> Void
    private let state = NIOLockedValueBox(State())

    /// - Parameter onMapChange: called after a refresh found another master for some slot (not
    ///   for the first map), with the first such master.
    init(
        configuration: RedisConfiguration,
        cluster: RedisClusterConfiguration,
        group: any EventLoopGroup,
        logger: Logger,
        onReconnect: @escaping @Sendable () -> Void,
        onMapChange: @escaping @Sendable (RedisNodeAddress) -> Void
    ) {
        self.configuration = configuration
        self.cluster = cluster
        self.group = group
        self.logger = logger
        self.onReconnect = onReconnect
        self.onMapChange = onMapChange
    }

    var nodes: [RedisNode] { state.withLockedValue { Array($0.nodes.values) } }

    /// Refreshes that found the slot map changed.
    var changes: Int { state.withLockedValue { $0.changes } }

    /// For commands without a key (PING, INFO, a probe): the master of slot 0.
    func primary() async throws -> RedisNode {
        try await node(for: RedisSlot(0)!)
    }

    func node(for slot: RedisSlot) async throws -> RedisNode {
        let map = try await currentMap()
        guard let address = map.master(of: slot) else {
            state.withLockedValue { $0.stale = true }
            throw RedisError(.serverUnavailable, "CLUSTERDOWN no master serves slot \(slot)")
        }
        return node(at: address)
    }

    /// The node at `address`, made on first use.
    func node(at address: RedisNodeAddress) -> RedisNode {
        state.withLockedValue { state in
            if let node = state.nodes[address] { return node }
            let node = RedisNode(address: address, configuration: configuration, group: group, logger: logger, onReconnect: onReconnect)
            state.nodes[address] = node
            return node
        }
    }

    /// A node answered `MOVED`: `slot` is `address`'s now; the whole map is asked again before
    /// the next request, since a slot rarely moves alone.
    func moved(_ slot: RedisSlot, to address: RedisNodeAddress) {
        state.withLockedValue { state in
            state.map?.assign(slot.rawValue...slot.rawValue, to: address)
            state.stale = true
        }
    }

    func report(_ node: RedisNode) {
        state.withLockedValue { $0.stale = true }
    }

    func shutdown() {
        let (nodes, refreshing) = state.withLockedValue { state in
            state.isShutdown = true
            defer { state.nodes = [:] }
            return (Array(state.nodes.values), state.refreshing)
        }
        refreshing?.cancel()
        for node in nodes { node.shutdown() }
    }

    // MARK: The slot map

    private func currentMap() async throws -> ClusterSlotMap {
        let (map, task) = try state.withLockedValue { state -> (ClusterSlotMap?, Task<ClusterSlotMap, any Error>?) in
            if state.isShutdown { throw RedisError(.shutdown, "the Redis client has been shut down") }
            let aged = state.refreshedAt.map { ContinuousClock.now - $0 > cluster.refreshInterval } ?? true
            guard state.stale || aged || state.map == nil else { return (state.map, nil) }
            let task = state.refreshing ?? Task { try await self.refresh() }
            state.refreshing = task
            // An old map that is merely aged serves while the new one is asked for.
            return (state.stale ? nil : state.map, task)
        }
        if let map { return map }
        return try await task!.value
    }

    private func refresh() async throws -> ClusterSlotMap {
        defer { state.withLockedValue { $0.refreshing = nil } }
        let known = state.withLockedValue { $0.map?.masters ?? [] }
        var lastError: (any Error)?
        for address in known + cluster.seeds.filter({ !known.contains($0) }) {
            do {
                let reply = try await node(at: address).send([RedisCommand("CLUSTER", "SLOTS")]).values[0]
                let map = try ClusterSlotMap(clusterSlots: try reply.throwingServerError(), answeredBy: address)
                guard map.uncovered < RedisSlot.count else { throw RedisError(.serverUnavailable, "CLUSTERDOWN \(address) knows no slot owner") }
                adopt(map)
                return map
            } catch {
                lastError = error
                logger.debug("could not read the cluster's slot map", metadata: ["redis": "\(address)", "error": "\(error)"])
            }
        }
        throw RedisError(.connectionFailed, "no cluster node answered CLUSTER SLOTS: \(lastError.map { "\($0)" } ?? "no node to ask")")
    }

    private func adopt(_ map: ClusterSlotMap) {
        let (gone, changed) = state.withLockedValue { state -> ([RedisNode], RedisNodeAddress?) in
            var changed: RedisNodeAddress?
            if let old = state.map, let slot = (0..<RedisSlot.count).first(where: { old.owner(of: $0) != map.owner(of: $0) }) {
                changed = map.owner(of: slot) ?? map.masters.first
                state.changes += 1
            }
            state.map = map
            state.stale = false
            state.refreshedAt = .now
            // Seeds that are no masters stay (they answered this very question); a master that
            // is no more goes, with every connection it had.
            let seeds = Set(cluster.seeds)
            var gone: [RedisNode] = []
            for (address, node) in state.nodes where !map.masters.contains(address) && !seeds.contains(address) {
                gone.append(node)
                state.nodes[address] = nil
            }
            return (gone, changed)
        }
        for node in gone {
            logger.info("closing the connections of a node that no longer serves slots", metadata: ["redis": "\(node.address)"])
            node.shutdown()
        }
        if let changed {
            logger.info("the cluster's slot map changed", metadata: ["masters": "\(map.masters.map(\.description).joined(separator: ","))"])
            onMapChange(changed)
        }
    }
}
