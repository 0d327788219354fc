import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The client's connections to one Redis node: how to talk to one node, whatever the topology.
///
/// - One **shared** connection carries every request that needs no connection of its own:
///   single commands, pipelines, MULTI … EXEC blocks. Concurrent requests pipeline on it.
/// - A small pool of **leased** connections serves optimistic transactions: WATCH holds only on
///   the connection it was sent on, so a caller keeps one for its round trips. At most
///   ``RedisConfiguration/poolSize`` are leased at once; a caller waits up to
///   ``RedisConfiguration/poolWaitTimeout`` for one, then gets ``RedisError/Code/busy``.
///
/// Connections are made on first use and again after a failure. A node that refused a connect
/// is not asked again before a backoff has passed (100 ms doubling to 2 s, with jitter):
/// meanwhile calls fail at once instead of each waiting for the connect timeout.
final class RedisNode: Sendable {
    let address: RedisNodeAddress
    let configuration: RedisConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let onReconnect: @Sendable () -> Void
    private let state = NIOLockedValueBox(State())

    private struct State {
        var shared: RedisNodeConnection?
        var connecting: Task<RedisNodeConnection, any Error>?
        var idle: [RedisNodeConnection] = []
        var leased = 0
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        /// Waits that ended (timed out, cancelled) before their continuation was registered.
        var abandoned: [UInt64: any Error] = [:]
        var nextWaiter: UInt64 = 0
        var isShutdown = false
        var connectionsMade = 0
        /// Connections lost to a failure and not yet replaced.
        var lost = 0
        var reconnects = 0
        var backoff: Duration = .zero
        var downUntil: ContinuousClock.Instant?
        var lastConnectError: RedisError?
        /// Every open connection the node made (shared, lent, subscriptions): all closed at shutdown.
        var live: [ObjectIdentifier: RedisNodeConnection] = [:]
    }

    init(
        address: RedisNodeAddress,
        configuration: RedisConfiguration,
        group: any EventLoopGroup,
        logger: Logger,
        onReconnect: @escaping @Sendable () -> Void
    ) {
        self.address = address
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.onReconnect = onReconnect
    }

    var connectionsMade: Int { state.withLockedValue { $0.connectionsMade } }
    var reconnects: Int { state.withLockedValue { $0.reconnects } }

    // MARK: The shared connection

    /// Sends `commands` as one unit on the shared connection. A request that never reached Redis
    /// (the connection had died unnoticed) is sent once more on a new connection.
    func send(_ commands: [RedisCommand]) async throws -> RedisReplies {
        do {
            let connection = try await sharedConnection()
            return RedisReplies(values: try await connection.send(commands), generation: connection.generation)
        } catch let error as RedisError where error.isRetryable {
            logger.debug("resending on a new Redis connection", metadata: ["error": "\(error.message)"])
            let connection = try await sharedConnection()
            return RedisReplies(values: try await connection.send(commands), generation: connection.generation)
        }
    }

    private func sharedConnection() async throws -> RedisNodeConnection {
        let task = try state.withLockedValue { state -> Task<RedisNodeConnection, any Error>? in
            if state.isShutdown { throw RedisError(.shutdown, "the Redis client has been shut down") }
            if let shared = state.shared {
                if shared.isUsable { return nil }
                state.shared = nil
                state.lost += 1
            }
            if let connecting = state.connecting { return connecting }
            let connecting = Task { try await self.connect() }
            state.connecting = connecting
            return connecting
        }
        guard let task else { return try state.withLockedValue { try $0.shared.orThrow() } }
        do {
            let connection = try await task.value
            let isShutdown = state.withLockedValue { state in
                if state.connecting == task {
                    state.connecting = nil
                    if !state.isShutdown { state.shared = connection }
                }
                return state.isShutdown
            }
            if isShutdown {
                connection.close()
                throw RedisError(.shutdown, "the Redis client has been shut down")
            }
            return connection
        } catch {
            state.withLockedValue { state in
                if state.connecting == task { state.connecting = nil }
            }
            throw error
        }
    }

    // MARK: Leased connections

    /// Runs `body` with a connection of its own, for commands that must stay on one connection
    /// (WATCH, reads, MULTI … EXEC). A connection whose body threw is closed, not reused: it may
    /// still be inside WATCH or MULTI. When the body's first commands never reached Redis, it
    /// runs once more on a new connection.
    func withLease<Result: Sendable>(routing: LeaseRouting? = nil, _ body: (RedisLease) async throws -> Result) async throws -> Result {
        let (connection, reused) = try await lease()
        let lent = RedisLease(connection: connection, routing: routing)
        do {
            let result = try await body(lent)
            release(connection, keep: true)
            return result
        } catch let error as RedisError where error.isRetryable && reused && lent.repliesRead == 0 {
            release(connection, keep: false)
            logger.debug("retrying on a new Redis connection", metadata: ["error": "\(error.message)"])
            let (fresh, _) = try await lease(reusing: false)
            do {
                let result = try await body(RedisLease(connection: fresh, routing: routing))
                release(fresh, keep: true)
                return result
            } catch {
                release(fresh, keep: false)
                throw error
            }
        } catch {
            release(connection, keep: false)
            throw error
        }
    }

    private func lease(reusing: Bool = true) async throws -> (RedisNodeConnection, reused: Bool) {
        let deadline = ContinuousClock.now + configuration.poolWaitTimeout
        while true {
            enum Next {
                case idle(RedisNodeConnection)
                case make
                case wait(UInt64)
            }
            let next = try state.withLockedValue { state -> Next in
                if state.isShutdown { throw RedisError(.shutdown, "the Redis client has been shut down") }
                while reusing, let connection = state.idle.popLast() {
                    if connection.isUsable {
                        state.leased += 1
                        return .idle(connection)
                    }
                    state.lost += 1
                }
                if state.leased < configuration.poolSize {
                    state.leased += 1
                    return .make
                }
                state.nextWaiter += 1
                return .wait(state.nextWaiter)
            }
            switch next {
            case .idle(let connection):
                return (connection, true)
            case .make:
                do {
                    return (try await connect(), false)
                } catch {
                    release(nil, keep: false)
                    throw error
                }
            case .wait(let id):
                try await waitForRelease(id: id, until: deadline)
            }
        }
    }

    private func waitForRelease(id: UInt64, until deadline: ContinuousClock.Instant) async throws {
        let timeout = Task {
            try await Task.sleep(until: deadline)
            self.resumeWaiter(id, with: RedisError(.busy, "every Redis connection for transactions was in use for \(configuration.poolWaitTimeout)"))
        }
        defer {
            timeout.cancel()
            // A timeout that fired just after a release woke this wait leaves nothing behind.
            state.withLockedValue { _ = $0.abandoned.removeValue(forKey: id) }
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // A connection released between the decision to wait and now must not be missed.
                let outcome = state.withLockedValue { state -> Result<Bool, any Error> in
                    if let error = state.abandoned.removeValue(forKey: id) { return .failure(error) }
                    if state.isShutdown || state.leased < configuration.poolSize || !state.idle.isEmpty { return .success(true) }
                    state.waiters[id] = continuation
                    return .success(false)
                }
                switch outcome {
                case .failure(let error): continuation.resume(throwing: error)
                case .success(true): continuation.resume()
                case .success(false): break
                }
            }
        } onCancel: {
            self.resumeWaiter(id, with: CancellationError())
        }
    }

    private func resumeWaiter(_ id: UInt64, with error: any Error) {
        let continuation = state.withLockedValue { state -> CheckedContinuation<Void, any Error>? in
            guard let continuation = state.waiters.removeValue(forKey: id) else {
                // Not registered yet: the registration finds this and fails at once.
                state.abandoned[id] = error
                return nil
            }
            return continuation
        }
        continuation?.resume(throwing: error)
    }

    /// Gives a leased connection back (or drops it) and wakes one waiter.
    private func release(_ connection: RedisNodeConnection?, keep: Bool) {
        let (waiter, drop) = state.withLockedValue { state -> (CheckedContinuation<Void, any Error>?, Bool) in
            state.leased -= 1
            var drop = connection != nil
            if let connection, keep, connection.isUsable, !state.isShutdown {
                state.idle.append(connection)
                drop = false
            } else if connection != nil {
                state.lost += connection!.isUsable ? 0 : 1
            }
            guard let first = state.waiters.keys.min() else { return (nil, drop) }
            return (state.waiters.removeValue(forKey: first), drop)
        }
        if drop { connection?.close() }
        waiter?.resume()
    }

    // MARK: Connecting

    /// A new connection to the node, registered so that ``shutdown()`` closes it.
    /// - Parameter onPush: for a subscription: where its messages go.
    /// A subscription's connection does not count in ``connectionsMade`` or ``reconnects``, which
    /// are about the connections requests use.
    func connect(onPush: (@Sendable (RedisPubSubMessage) -> Void)? = nil) async throws -> RedisNodeConnection {
        if let error = state.withLockedValue({ state in state.downUntil.map { $0 > .now } == true ? state.lastConnectError : nil }) {
            throw error
        }
        do {
            let connection = try await RedisNodeConnection.connect(to: address, configuration: configuration, group: group, onPush: onPush)
            let id = ObjectIdentifier(connection)
            let isShutdown = state.withLockedValue { state -> Bool in
                if !state.isShutdown { state.live[id] = connection }
                return state.isShutdown
            }
            if isShutdown {
                connection.close()
                throw RedisError(.shutdown, "the Redis client has been shut down")
            }
            connection.channel.closeFuture.whenComplete { [weak self] _ in
                self?.state.withLockedValue { _ = $0.live.removeValue(forKey: id) }
            }
            let (made, replaced) = state.withLockedValue { state in
                state.backoff = .zero
                state.downUntil = nil
                guard onPush == nil else { return (state.connectionsMade, false) }
                state.connectionsMade += 1
                let replaced = state.lost > 0
                if replaced {
                    state.lost -= 1
                    state.reconnects += 1
                }
                return (state.connectionsMade, replaced)
            }
            if replaced { onReconnect() }
            logger.debug("connected to Redis", metadata: ["redis": "\(address)", "connections": "\(made)"])
            return connection
        } catch {
            let redisError = error as? RedisError ?? RedisError(.connectionFailed, "\(error)")
            state.withLockedValue { state in
                state.backoff = state.backoff == .zero ? .milliseconds(100) : min(state.backoff * 2, .seconds(2))
                state.downUntil = .now + state.backoff * Double.random(in: 0.5...1.0)
                state.lastConnectError = redisError
            }
            throw redisError
        }
    }

    /// Closes every connection; later calls fail with ``RedisError/Code/shutdown``.
    func shutdown() {
        let (connections, waiters, connecting) = state.withLockedValue { state in
            state.isShutdown = true
            let connections = Array(state.live.values)
            state.live = [:]
            state.idle = []
            state.shared = nil
            let waiters = Array(state.waiters.values)
            state.waiters = [:]
            return (connections, waiters, state.connecting)
        }
        connecting?.cancel()
        for connection in connections { connection.close() }
        for waiter in waiters { waiter.resume(throwing: RedisError(.shutdown, "the Redis client has been shut down")) }
    }
}

extension Optional where Wrapped == RedisNodeConnection {
    fileprivate func orThrow() throws -> RedisNodeConnection {
        guard let self else { throw RedisError(.io, "the connection is closed", retryable: true) }
        return self
    }
}
