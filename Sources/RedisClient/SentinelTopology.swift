import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The master that Redis Sentinel names, followed as it moves, by the rules of the Sentinel
/// client guidelines (redis.io, "Sentinel client spec"):
///
/// - **Discovery.** The Sentinels are asked in turn, each with short timeouts, for
///   `SENTINEL get-master-addr-by-name`; the first that answers is asked first next time. The
///   node it names is confirmed as a master (`ROLE`, sent with `INFO replication`) when the client
///   connects to it, and refused otherwise.
/// - **Again on every reconnect.** Whenever a request finds its connection broken, or a write
///   is refused because the node is a replica (`READONLY`), the topology asks the Sentinels
///   again before the next request.
/// - **At once on a switch.** One connection to a Sentinel is subscribed to `+switch-master`;
///   when the master changes, the client moves without waiting for a failure.
/// - **Nothing left on the old master.** When the master changes, every connection to the old
///   one (the shared connection, the lent ones, subscriptions) is closed, so that no request and
///   no subscriber stays on a node that no longer takes writes.
final class SentinelTopology: RedisTopology {
    private struct State {
        var current: RedisNode?
        var needsResolve = true
        var resolving: Task<RedisNode, any Error>?
        /// The Sentinels in the order they are asked: the last one that answered first.
        var order: [RedisNodeAddress]
        var watcher: Task<Void, Never>?
        var isShutdown = false
        var changes = 0
    }

    private let sentinel: RedisSentinelConfiguration
    private let configuration: RedisConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let onReconnect: @Sendable () -> Void
    private let onMasterChange: @Sendable (RedisNodeAddress) -> Void
    private let state: NIOLockedValueBox<State>

    init(
        configuration: RedisConfiguration,
        sentinel: RedisSentinelConfiguration,
        group: any EventLoopGroup,
        logger: Logger,
        onReconnect: @escaping @Sendable () -> Void,
        onMasterChange: @escaping @Sendable (RedisNodeAddress) -> Void
    ) {
        self.configuration = configuration
        self.sentinel = sentinel
        self.group = group
        self.logger = logger
        self.onReconnect = onReconnect
        self.onMasterChange = onMasterChange
        self.state = NIOLockedValueBox(State(order: sentinel.sentinels))
    }

    var nodes: [RedisNode] { state.withLockedValue { $0.current.map { [$0] } ?? [] } }

    /// How many times the master changed since start (the first master found does not count).
    var changes: Int { state.withLockedValue { $0.changes } }

    func primary() async throws -> RedisNode {
        let task = try state.withLockedValue { state -> Task<RedisNode, any Error>? in
            if state.isShutdown { throw RedisError(.shutdown, "the Redis client has been shut down") }
            if state.current != nil, !state.needsResolve { return nil }
            if let resolving = state.resolving { return resolving }
            let resolving = Task { try await self.resolve() }
            state.resolving = resolving
            return resolving
        }
        startWatching()
        guard let task else { return try state.withLockedValue { try $0.current.orThrow() } }
        defer { state.withLockedValue { if $0.resolving == task { $0.resolving = nil } } }
        return try await task.value
    }

    func node(for slot: RedisSlot) async throws -> RedisNode {
        try await primary()
    }

    func report(_ node: RedisNode) {
        state.withLockedValue { state in
            if state.current === node { state.needsResolve = true }
        }
    }

    func shutdown() {
        let (node, watcher, resolving) = state.withLockedValue { state in
            state.isShutdown = true
            defer { state.current = nil }
            return (state.current, state.watcher, state.resolving)
        }
        watcher?.cancel()
        resolving?.cancel()
        node?.shutdown()
    }

    // MARK: Discovery

    /// Asks the Sentinels in turn; the first master that one names and that confirms it is a
    /// master (on connect) becomes the current node.
    private func resolve() async throws -> RedisNode {
        let order = state.withLockedValue { $0.order }
        var reasons: [String] = []
        for address in order {
            do {
                let master = try await askForMaster(address)
                let node = adopt(master)
                // Confirms the role: a node that is not a master refuses the connection.
                _ = try await node.send([RedisCommand("PING")])
                state.withLockedValue { state in
                    state.order.removeAll { $0 == address }
                    state.order.insert(address, at: 0)
                    state.needsResolve = false
                }
                return node
            } catch {
                reasons.append("\(address): \((error as? RedisError)?.message ?? "\(error)")")
            }
        }
        throw RedisError(
            .serverUnavailable,
            "no Sentinel named a reachable master \(sentinel.masterName) (\(reasons.joined(separator: "; ")))"
        )
    }

    private func askForMaster(_ sentinelAddress: RedisNodeAddress) async throws -> RedisNodeAddress {
        let connection = try await RedisNodeConnection.connect(
            to: sentinelAddress,
            configuration: sentinelTimeouts,
            handshake: .sentinel(sentinel),
            group: group
        )
        defer { connection.close() }
        let reply = try await connection.send([RedisCommand("SENTINEL", "get-master-addr-by-name", sentinel.masterName)])[0]
        guard case .array(let parts) = reply, parts.count == 2, let host = parts[0].string, let port = parts[1].int else {
            throw RedisError(.unexpectedReply, reply.errorMessage ?? "it does not know \(sentinel.masterName)")
        }
        return RedisNodeAddress(host: host, port: port)
    }

    /// Short timeouts for the Sentinels: a dead one must not hold the others up.
    private var sentinelTimeouts: RedisConfiguration {
        var timeouts = configuration
        timeouts.connectTimeout = min(configuration.connectTimeout, .milliseconds(500))
        timeouts.commandTimeout = min(configuration.commandTimeout, .milliseconds(500))
        return timeouts
    }

    /// The node for `address`: the current one if it is still there, else a new one, and then
    /// every connection to the old master is closed.
    private func adopt(_ address: RedisNodeAddress) -> RedisNode {
        let (node, retired) = state.withLockedValue { state -> (RedisNode, RedisNode?) in
            if let current = state.current, current.address == address { return (current, nil) }
            let node = RedisNode(address: address, configuration: configuration, group: group, logger: logger, onReconnect: onReconnect)
            let retired = state.current
            state.current = node
            if retired != nil { state.changes += 1 }
            return (node, retired)
        }
        if let retired {
            logger.warning("the Redis master moved", metadata: ["from": "\(retired.address)", "to": "\(address)"])
            retired.shutdown()
            onMasterChange(address)
        } else if node.connectionsMade == 0 {
            logger.info("found the Redis master", metadata: ["master": "\(address)", "name": "\(sentinel.masterName)"])
        }
        return node
    }

    // MARK: +switch-master

    private func startWatching() {
        state.withLockedValue { state in
            guard state.watcher == nil, !state.isShutdown else { return }
            state.watcher = Task { await self.watchSwitches() }
        }
    }

    /// Keeps one subscription to `+switch-master` on a Sentinel, moving to the next Sentinel when
    /// one goes away; a switch of this master makes the next request ask the Sentinels again.
    private func watchSwitches() async {
        var backoff: Duration = .milliseconds(100)
        while !Task.isCancelled {
            for address in state.withLockedValue({ $0.order }) where !Task.isCancelled {
                do {
                    let connection = try await RedisNodeConnection.connect(
                        to: address,
                        configuration: sentinelTimeouts,
                        handshake: .sentinel(sentinel),
                        group: group
                    ) { [weak self] message in self?.switched(message) }
                    let reply = try await connection.send([RedisCommand("SUBSCRIBE", "+switch-master")])[0]
                    guard reply.array?.first?.string == "subscribe" else {
                        connection.close()
                        continue
                    }
                    backoff = .milliseconds(100)
                    await withTaskCancellationHandler {
                        try? await connection.channel.closeFuture.get()
                    } onCancel: {
                        connection.close()
                    }
                } catch {
                    logger.debug("could not watch a Sentinel", metadata: ["sentinel": "\(address)", "error": "\(error)"])
                }
            }
            try? await Task.sleep(for: backoff * Double.random(in: 0.5...1.0))
            backoff = min(backoff * 2, .seconds(2))
        }
    }

    /// `+switch-master <name> <old host> <old port> <new host> <new port>`.
    private func switched(_ message: RedisPubSubMessage) {
        let parts = String(decoding: message.payload, as: UTF8.self).split(separator: " ")
        guard parts.count == 5, parts[0] == sentinel.masterName, let port = Int(parts[4]) else { return }
        let address = RedisNodeAddress(host: String(parts[3]), port: port)
        let moved = state.withLockedValue { state -> Bool in
            guard state.current?.address != address else { return false }
            state.needsResolve = true
            return true
        }
        guard moved else { return }
        // Moves now rather than at the next request: the old master's connections (the subscriber's
        // among them) close at once.
        Task { _ = try? await self.primary() }
    }
}

extension Optional where Wrapped == RedisNode {
    fileprivate func orThrow() throws -> RedisNode {
        guard let self else { throw RedisError(.serverUnavailable, "no Redis master is known") }
        return self
    }
}
