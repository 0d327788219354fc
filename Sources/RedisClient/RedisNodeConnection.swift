import Logging
import NIOConcurrencyHelpers
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
    private let described: NIOLockedValueBox<RedisGeneration?>

    private init(
        channel: any Channel,
        handler: NIOLoopBound<RedisCommandHandler>,
        described: NIOLockedValueBox<RedisGeneration?>
    ) {
        self.channel = channel
        self.handler = handler
        self.described = described
    }

    /// The node's generation when the connection was made, if it was asked and could answer.
    var generation: RedisGeneration? { described.withLockedValue { $0 } }

    /// Connects to `address` and runs `handshake` (AUTH, SELECT, and what the node is). Throws
    /// ``RedisError/Code/connectionFailed`` within the connect timeout plus one command timeout.
    /// - Parameter onPush: for a subscription connection: where pushed messages go, on the event loop.
    static func connect(
        to address: RedisNodeAddress,
        configuration: RedisConfiguration,
        handshake: RedisHandshake? = nil,
        group: any EventLoopGroup,
        onPush: (@Sendable (RedisPubSubMessage) -> Void)? = nil
    ) async throws -> RedisNodeConnection {
        let commandTimeout = TimeAmount(configuration.commandTimeout)
        // Known after the handshake, before any subscription exists: each pushed message carries
        // the generation of the node it came from.
        let described = NIOLockedValueBox<RedisGeneration?>(nil)
        let push = onPush.map { onPush in
            { @Sendable (message: RedisPubSubMessage) in
                var message = message
                message.generation = described.withLockedValue { $0 }
                onPush(message)
            }
        }
        let connection: RedisNodeConnection
        do {
            connection = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(configuration.connectTimeout))
                .channelOption(.socketOption(.so_keepalive), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RedisCommandHandler(commandTimeout: commandTimeout, onPush: push))
                    }
                }
                .connect(host: address.host, port: address.port)
                .flatMapThrowing { channel in
                    let handler = try channel.pipeline.syncOperations.handler(type: RedisCommandHandler.self)
                    return RedisNodeConnection(
                        channel: channel,
                        handler: NIOLoopBound(handler, eventLoop: channel.eventLoop),
                        described: described
                    )
                }
                .get()
        } catch {
            throw RedisError(.connectionFailed, "connect to \(address): \(error)")
        }
        do {
            try await connection.perform(handshake ?? .dataNode(configuration), address: address)
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    private func perform(_ handshake: RedisHandshake, address: RedisNodeAddress) async throws {
        var commands: [RedisCommand] = []
        if let password = handshake.password {
            var auth = RedisCommand("AUTH")
            if let username = handshake.username { auth.arguments.append(Array(username.utf8)) }
            auth.arguments.append(Array(password.utf8))
            commands.append(auth)
        }
        if handshake.database != 0 { commands.append(RedisCommand("SELECT", handshake.database)) }
        if handshake.describeNode { commands.append(RedisCommand("INFO", "replication")) }
        // ROLE, as the Sentinel client rules ask, in the same round trip: a node the Sentinels
        // named that is not (or no longer) a master is never written to.
        if handshake.requireMaster { commands.append(RedisCommand("ROLE")) }
        guard !commands.isEmpty else { return }
        let replies: [RedisValue]
        do {
            replies = try await send(commands)
        } catch let error as RedisError {
            throw RedisError(.connectionFailed, error.message)
        }
        for (command, reply) in zip(commands, replies) where command.name != "INFO" {
            if case .error(let message) = reply {
                // The server's text names no secret, but say only what kind of failure it was.
                let kind = message.split(separator: " ").first.map(String.init) ?? "ERR"
                throw RedisError(.connectionFailed, "\(command.name) was refused (\(kind))")
            }
        }
        if handshake.requireMaster {
            let role = replies.last?.array?.first?.string
            guard role == "master" else { throw RedisError(.connectionFailed, "\(address) is not a master (ROLE \(role ?? "unknown"))") }
        }
        guard handshake.describeNode, let index = commands.firstIndex(where: { $0.name == "INFO" }), let info = replies[index].string else { return }
        // A user without INFO leaves the node undescribed: it works, without generations.
        let generation = RedisGeneration(info: info)
        described.withLockedValue { $0 = generation }
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
                promise: promise,
                unsubscribesShardChannels: commands.contains { $0.name == "SUNSUBSCRIBE" }
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
