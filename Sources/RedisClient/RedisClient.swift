import Logging
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle

/// A pool of Redis connections, each used on a dedicated thread.
///
/// hiredis is blocking, so every call runs on the client's own `NIOThreadPool`:
/// never on Swift's cooperative pool, never on an event loop that serves HTTP.
/// A connection that fails with an I/O error is dropped and a new one is made on the
/// next call; when the failed connection came from the pool and no reply had been read
/// (the server had closed it while it sat idle), the call is retried once on a fresh one.
///
/// Run it in a `ServiceGroup` so that it closes its connections on graceful shutdown,
/// after the services that use it.
public final class RedisClient: Service, Sendable {
    /// Where Redis is and how long to wait for it.
    public let configuration: RedisConfiguration
    private let logger: Logger
    private let threadPool: NIOThreadPool
    private let state: NIOLockedValueBox<State>
    private let onReconnect: @Sendable () -> Void

    private struct State {
        var idle: [RedisConnection] = []
        var isShutdown = false
        var connectionsMade = 0
        /// Connections lost to an I/O error and not yet replaced.
        var lost = 0
        var reconnects = 0
    }

    /// Creates the client and its threads. Connections are made lazily, on first use.
    ///
    /// - Parameter onReconnect: called each time a connection lost to an I/O error is replaced
    ///   (a metric; the client itself depends on no metrics library).
    public init(configuration: RedisConfiguration, logger: Logger, onReconnect: @escaping @Sendable () -> Void = {}) {
        self.configuration = configuration
        self.logger = logger
        self.onReconnect = onReconnect
        self.threadPool = NIOThreadPool(numberOfThreads: max(1, configuration.poolSize))
        self.state = NIOLockedValueBox(State())
        self.threadPool.start()
    }

    /// Connections made since start, including reconnects after errors.
    public var connectionsMade: Int {
        state.withLockedValue { $0.connectionsMade }
    }

    /// Connections made to replace one lost to an I/O error.
    public var reconnects: Int {
        state.withLockedValue { $0.reconnects }
    }

    /// Runs `body` with a connection on one of the client's threads.
    ///
    /// `body` may send several commands (WATCH, reads, MULTI, EXEC) on the one connection;
    /// it must leave the connection as it found it, or throw. A connection whose body threw
    /// is closed, not returned to the pool, since it may still be inside WATCH or MULTI.
    public func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (RedisConnection) throws -> Result
    ) async throws -> Result {
        let shutdownError = RedisError(.shutdown, "the Redis client has been shut down")
        if state.withLockedValue({ $0.isShutdown }) { throw shutdownError }
        do {
            return try await threadPool.runIfActive { try self.runBlocking(body) }
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw shutdownError
        } catch is CancellationError where state.withLockedValue({ $0.isShutdown }) {
            // NIOThreadPool cancels work queued when it stopped.
            throw shutdownError
        }
    }

    /// Sends one command.
    @discardableResult
    public func send(_ command: RedisCommand) async throws -> RedisValue {
        try await withConnection { try $0.send(command) }
    }

    /// Sends several commands in one round trip and returns their replies in order.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RedisValue] {
        try await withConnection { try $0.pipeline(commands) }
    }

    /// Waits for graceful shutdown, then closes every connection and stops the threads.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Closes every connection and stops the threads. Later calls fail with ``RedisError/Code/shutdown``.
    public func shutdown() async {
        let idle = state.withLockedValue { state in
            state.isShutdown = true
            defer { state.idle.removeAll() }
            return state.idle
        }
        for connection in idle { connection.close() }
        try? await threadPool.shutdownGracefully()
    }

    private func runBlocking<Result>(_ body: (RedisConnection) throws -> Result) throws -> Result {
        let (connection, reused) = try checkout()
        connection.repliesRead = 0
        do {
            let result = try body(connection)
            checkin(connection)
            return result
        } catch let error as RedisError where error.code == .io && reused && connection.repliesRead == 0 {
            // The server closed this idle connection (restart, timeout, failover) before
            // anything was read, so nothing ran: one retry on a fresh connection is safe.
            connection.close()
            markLost()
            logger.debug("retrying on a new Redis connection", metadata: ["error": "\(error.message)"])
            let fresh = try connect()
            do {
                let result = try body(fresh)
                checkin(fresh)
                return result
            } catch {
                fresh.close()
                throw error
            }
        } catch {
            connection.close()
            if (error as? RedisError)?.code == .io { markLost() }
            throw error
        }
    }

    /// Notes a connection lost to an I/O error: the next connection made replaces it.
    private func markLost() {
        state.withLockedValue { $0.lost += 1 }
    }

    private func checkout() throws -> (RedisConnection, reused: Bool) {
        let pooled: RedisConnection?? = state.withLockedValue { state in
            if state.isShutdown { return .some(nil) }
            return state.idle.popLast().map { .some($0) } ?? nil
        }
        switch pooled {
        case .some(.some(let connection)) where !connection.isBroken:
            return (connection, true)
        case .some(.some(let connection)):
            // Broken while it sat in the pool: replaced below.
            connection.close()
            markLost()
            return (try connect(), false)
        case .some(.none):
            throw RedisError(.shutdown, "the Redis client has been shut down")
        default:
            return (try connect(), false)
        }
    }

    private func connect() throws -> RedisConnection {
        let connection = try RedisConnection(configuration: configuration)
        let (made, replaced) = state.withLockedValue { state in
            state.connectionsMade += 1
            let replaced = state.lost > 0
            if replaced {
                state.lost -= 1
                state.reconnects += 1
            }
            return (state.connectionsMade, replaced)
        }
        if replaced { onReconnect() }
        logger.debug("connected to Redis", metadata: ["redis": "\(configuration.redactedURL)", "connections": "\(made)"])
        return connection
    }

    private func checkin(_ connection: RedisConnection) {
        guard !connection.isBroken else {
            connection.close()
            return
        }
        let keep = state.withLockedValue { state in
            guard !state.isShutdown, state.idle.count < configuration.poolSize else { return false }
            state.idle.append(connection)
            return true
        }
        if !keep { connection.close() }
    }
}
