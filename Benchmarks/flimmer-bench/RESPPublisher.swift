/// Publishes on a Redis channel over a plain RESP socket (no client library, no pipelining).
///
/// With `versionKey` set, each event is `MULTI; SET versionKey V; PUBLISH …; EXEC`, the channel
/// contract's write-then-publish, so that the gateway's catch-up (which reads the key) sees it.
final class RESPPublisher: PublishChannel {
    private let socket: BlockingSocket
    private let channel: String
    private let versionKey: String?

    init(_ endpoint: Endpoint, channel: String, versionKey: String? = nil) throws {
        socket = try BlockingSocket(endpoint)
        self.channel = channel
        self.versionKey = versionKey
        if endpoint.redisDatabase != 0 {
            try socket.write(Self.command(["SELECT", "\(endpoint.redisDatabase)"]))
            let reply = try socket.readReply(BlockingSocket.lines(1))
            guard reply.first == UInt8(ascii: "+") else { throw BlockingSocket.Failure(description: "SELECT failed") }
        }
    }

    /// Publishes, and with a version key also stores, `version`.
    func publish(_ payload: [UInt8], version: Int) throws {
        guard let versionKey else { return try publish(payload) }
        let bytes =
            Self.command(["MULTI"]) + Self.command(["SET", versionKey, "\(version)"])
            + Self.command([Array("PUBLISH".utf8), Array(channel.utf8), payload]) + Self.command(["EXEC"])
        try socket.write(bytes)
        // +OK, +QUEUED, +QUEUED, then EXEC's *2 with +OK and :subscribers.
        let reply = try socket.readReply(BlockingSocket.lines(6))
        guard reply.first == UInt8(ascii: "+"), !reply.contains(UInt8(ascii: "-")) else {
            throw BlockingSocket.Failure(description: "MULTI/EXEC failed: \(String(decoding: reply, as: UTF8.self))")
        }
    }

    func publish(_ payload: [UInt8]) throws {
        try socket.write(Self.command([Array("PUBLISH".utf8), Array(channel.utf8), payload]))
        let reply = try socket.readReply(BlockingSocket.lines(1))
        guard reply.first == UInt8(ascii: ":") else {
            throw BlockingSocket.Failure(description: "PUBLISH failed: \(String(decoding: reply, as: UTF8.self))")
        }
    }

    /// Runs one command whose reply is a single line; returns that line without CRLF.
    func simple(_ arguments: [String]) throws -> String {
        try socket.write(Self.command(arguments))
        let reply = try socket.readReply(BlockingSocket.lines(1))
        return String(decoding: reply.dropLast(2), as: UTF8.self)
    }

    static func command(_ arguments: [String]) -> [UInt8] { command(arguments.map { Array($0.utf8) }) }

    /// A RESP array of bulk strings.
    static func command(_ arguments: [[UInt8]]) -> [UInt8] {
        var bytes = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            bytes += Array("$\(argument.count)\r\n".utf8)
            bytes += argument
            bytes += [13, 10]
        }
        return bytes
    }
}
