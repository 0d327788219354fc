import Glibc

/// A blocking TCP connection for the publishers: one request, then its whole reply, then the next.
///
/// Blocking I/O on a thread of its own keeps the publisher simple; its schedule is absolute,
/// so time spent waiting for a reply shows up as lateness, never as a silently lower rate.
final class BlockingSocket {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let fd: Int32
    /// Bytes read but not yet consumed by a reply parser.
    private var pending: [UInt8] = []

    /// `timeout`: the longest a read or write may block (none by default).
    init(_ endpoint: Endpoint, timeout: Duration? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        if let timeout {
            var value = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        }
        var address = endpoint.socketAddress
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // No close here: `self` is complete, so a throw runs `deinit`, which closes it; a second
        // close could hit a descriptor reused by then by someone else.
        guard result == 0 else { throw Failure(description: "connect to \(endpoint.hostHeader): errno \(errno)") }
        // Each publish is one small write that must leave at once, not wait for Nagle.
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw Failure(description: "write: errno \(errno)") }
            offset += written
        }
    }

    /// Reads until `complete` finds a whole reply at the front of the buffer (it returns the reply's length),
    /// then drops that reply and returns it.
    func readReply(_ complete: ([UInt8]) -> Int?) throws -> [UInt8] {
        while true {
            if let length = complete(pending) {
                let reply = Array(pending[..<length])
                pending.removeFirst(length)
                return reply
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, 4096) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw Failure(description: count == 0 ? "connection closed" : "read: errno \(errno)") }
            pending += chunk[..<count]
        }
    }

    /// A reply made of `lines` CRLF-terminated lines (RESP replies without bulk strings).
    static func lines(_ lines: Int) -> ([UInt8]) -> Int? {
        { buffer in
            var seen = 0
            var index = 0
            while index + 1 < buffer.count {
                if buffer[index] == 13, buffer[index + 1] == 10 {
                    seen += 1
                    if seen == lines { return index + 2 }
                    index += 2
                } else {
                    index += 1
                }
            }
            return nil
        }
    }
}
