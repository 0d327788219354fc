import Logging
import NIOCore
import NIOPosix

/// One TCP connection to one Redis node, owned by a NIO channel; hiredis is its protocol
/// (``RESPWriter``, ``RESPReader``), not its socket.
///
/// Any number of tasks may send on it at once: their commands are pipelined (see
/// ``RedisCommandHandler``). A connection that failed stays failed: ``isUsable`` turns false and
/// its owner makes a new one.
final class RedisNodeConnection: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<RedisCommandHandler>

    private init(channel: any Channel, handler: NIOLoopBound<RedisCommandHandler>) {
        self.channel = channel
        self.handler = handler
    }

    /// Connects to `address`, then authenticates and selects the database as `configuration`
    /// says. Throws ``RedisError/Code/connectionFailed`` within the connect timeout (plus one
    /// command timeout for the handshake).
    /// - Parameter onPush: for a subscription connection: where pushed messages go, on the event loop.
    static func connect(
        to address: RedisNodeAddress,
        configuration: RedisConfiguration,
        group: any EventLoopGroup,
        onPush: (@Sendable (RedisPubSubMessage) -> Void)? = nil
    ) async throws -> RedisNodeConnection {
        let commandTimeout = TimeAmount(configuration.commandTimeout)
        let connection: RedisNodeConnection
        do {
            connection = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(configuration.connectTimeout))
                .channelOption(.socketOption(.so_keepalive), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RedisCommandHandler(commandTimeout: commandTimeout, onPush: onPush))
                    }
                }
                .connect(host: address.host, port: address.port)
                .flatMapThrowing { channel in
                    let handler = try channel.pipeline.syncOperations.handler(type: RedisCommandHandler.self)
                    return RedisNodeConnection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
                .get()
        } catch {
            throw RedisError(.connectionFailed, "connect to \(address): \(error)")
        }
        do {
            try await connection.handshake(configuration)
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    private func handshake(_ configuration: RedisConfiguration) async throws {
        var commands: [RedisCommand] = []
        if let password = configuration.password {
            var auth = RedisCommand("AUTH")
            if let username = configuration.username { auth.arguments.append(Array(username.utf8)) }
            auth.arguments.append(Array(password.utf8))
            commands.append(auth)
        }
        if configuration.database != 0 { commands.append(RedisCommand("SELECT", configuration.database)) }
        guard !commands.isEmpty else { return }
        let replies: [RedisValue]
        do {
            replies = try await send(commands)
        } catch let error as RedisError {
            throw RedisError(.connectionFailed, error.message)
        }
        for (command, reply) in zip(commands, replies) {
            if case .error(let message) = reply {
                // The server's text names no secret, but say only what kind of failure it was.
                let kind = message.split(separator: " ").first.map(String.init) ?? "ERR"
                throw RedisError(.connectionFailed, "\(command.name) was refused (\(kind))")
            }
        }
    }

    /// Whether the connection is still open and has not failed.
    var isUsable: Bool { channel.isActive }

    /// Sends `commands` as one unit and returns their replies in order. Error replies are
    /// returned, not thrown; a failed connection throws (``RedisError/isRetryable`` when the
    /// commands never reached Redis).
    func send(_ commands: [RedisCommand]) async throws -> [RedisValue] {
        try await submit(commands).get()
    }

    /// As ``send(_:)``, as a future (for callers on the event loop).
    func submit(_ commands: [RedisCommand]) -> EventLoopFuture<[RedisValue]> {
        let eventLoop = channel.eventLoop
        let promise = eventLoop.makePromise(of: [RedisValue].self)
        do {
            let request = RedisRequest(
                bytes: try RESPWriter.encode(commands, allocator: channel.allocator),
                replyCount: commands.count,
                promise: promise
            )
            if eventLoop.inEventLoop {
                handler.value.enqueue(request)
            } else {
                let handler = self.handler
                eventLoop.execute { handler.value.enqueue(request) }
            }
        } catch {
            promise.fail(error)
        }
        return promise.futureResult
    }

    /// Closes the socket; what is waiting fails.
    func close() {
        channel.close(promise: nil)
    }
}
