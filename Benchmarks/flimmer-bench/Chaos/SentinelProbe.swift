/// Asks one Sentinel which node is the master (`SENTINEL get-master-addr-by-name`) over a plain
/// loopback socket: quick enough to poll every 50 ms while a failover runs, which a redis-cli
/// per question is not on a busy machine. The Sentinels of a chaos run need no password.
enum SentinelProbe {
    /// The master's port as the Sentinel on 127.0.0.1:`port` names it; nil when it does not
    /// answer within half a second or knows no master of that name.
    static func masterPort(sentinel port: Int, name: String) -> Int? {
        guard let endpoint = try? Endpoint(url: "redis://127.0.0.1:\(port)", defaultPort: UInt16(port)),
            let socket = try? BlockingSocket(endpoint, timeout: .milliseconds(500))
        else { return nil }
        guard (try? socket.write(RESPPublisher.command(["SENTINEL", "get-master-addr-by-name", name]))) != nil,
            let reply = try? socket.readReply(replyLength)
        else { return nil }
        return self.port(fromReply: reply)
    }

    /// The length of a whole reply at the front of `buffer`: an array of two bulk strings (five
    /// lines) or any one-line reply (a null array, an error); nil while incomplete.
    static func replyLength(_ buffer: [UInt8]) -> Int? {
        guard let first = BlockingSocket.lines(1)(buffer) else { return nil }
        return buffer.starts(with: Array("*2\r\n".utf8)) ? BlockingSocket.lines(5)(buffer) : first
    }

    /// The port in a reply `*2 $host $port`; nil for any other reply.
    static func port(fromReply bytes: [UInt8]) -> Int? {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        guard lines.count >= 5, lines[0] == "*2" else { return nil }
        return Int(lines[4])
    }
}
