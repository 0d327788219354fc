#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One keep-alive HTTP/1.1 connection of the lean upload client: at most one request in
/// flight, written with plain `send`, its response framed by `HTTPResponseScanner`.
///
/// It is not thread-safe and needs not be: `PollClosedLoop` owns all connections on one thread
/// and calls these methods only when `poll` says the socket is ready. Not `Sendable` on purpose.
final class KeepAliveConnection {
    /// What one step of I/O produced.
    enum Event {
        /// Nothing finished yet (a partial write or a partial response).
        case pending
        /// The response to the request in flight arrived whole.
        case response(status: Int, latency: Duration)
        /// The connection failed or was closed before a whole response; it has been dropped
        /// and the next `send` opens a new one.
        case broken(String)
    }

    private let target: HTTPSocketTarget
    /// The socket, or -1 while closed.
    private(set) var fd: Int32 = -1
    /// The request being written and how much of it the kernel took.
    private var outbox: [UInt8] = []
    private var written = 0
    /// Bytes read and not yet framed as a response.
    private var inbox: [UInt8] = []
    /// When the request in flight was handed to the kernel; nil when idle.
    private(set) var sentAt: ContinuousClock.Instant?

    init(target: HTTPSocketTarget) {
        self.target = target
        inbox.reserveCapacity(4096)
    }

    deinit { drop() }

    var inFlight: Bool { sentAt != nil }
    /// Part of the request still waits for room in the socket buffer.
    var wantsWrite: Bool { written < outbox.count }

    /// Starts a request, opening the connection first if the server closed the last one.
    /// Latency is measured from here, so a reconnect counts against the request that needed it.
    func send(_ request: [UInt8]) throws -> Event {
        sentAt = ContinuousClock.now
        if fd < 0 {
            do {
                fd = try target.connectNonBlocking()
            } catch {
                sentAt = nil
                throw error
            }
        }
        outbox = request
        written = 0
        inbox.removeAll(keepingCapacity: true)
        return flush()
    }

    /// Writes what the socket takes of the request in flight.
    func flush() -> Event {
        while written < outbox.count {
            let sent = outbox.withUnsafeBytes { raw in
                Self.send(fd, raw.baseAddress! + written, raw.count - written)
            }
            if sent > 0 {
                written += sent
            } else if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                return .pending
            } else if sent < 0, errno == EINTR {
                continue
            } else {
                return fail("send: \(String(cString: strerror(errno)))")
            }
        }
        return .pending
    }

    /// Reads what has arrived; returns `.response` once the whole response is in.
    func readAvailable(into scratch: UnsafeMutableRawBufferPointer) -> Event {
        while true {
            let received = recv(fd, scratch.baseAddress, scratch.count, 0)
            if received > 0 {
                inbox.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<received]))
                // Fewer bytes than the buffer holds: the socket is drained, so skip the
                // extra recv that would only return EAGAIN (one syscall less per response).
                if received < scratch.count { break }
            } else if received == 0 {
                // The server closed. A complete response may still be in the inbox (one that
                // said Connection: close); anything less is a failure.
                if case .complete(let status, _, _) = HTTPResponseScanner.scan(inbox) {
                    let latency = ContinuousClock.now - (sentAt ?? .now)
                    drop()
                    return .response(status: status, latency: latency)
                }
                return fail("connection closed by the server before a whole response")
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                break
            } else if errno == EINTR {
                continue
            } else {
                return fail("recv: \(String(cString: strerror(errno)))")
            }
        }
        switch HTTPResponseScanner.scan(inbox) {
        case .incomplete:
            return .pending
        case .unsupported(let reason):
            return fail("unframeable response: \(reason)")
        case .complete(let status, let length, let closes):
            let latency = ContinuousClock.now - (sentAt ?? .now)
            if length != inbox.count {
                // Bytes past the response with no request in flight: the framing is off.
                return fail("\(inbox.count - length) unexpected bytes after a response")
            }
            sentAt = nil
            inbox.removeAll(keepingCapacity: true)
            if closes { drop() }
            return .response(status: status, latency: latency)
        }
    }

    /// Closes the socket and forgets the request in flight (after a timeout or a failure).
    func drop() {
        if fd >= 0 { close(fd) }
        fd = -1
        sentAt = nil
        outbox = []
        written = 0
        inbox.removeAll(keepingCapacity: true)
    }

    private func fail(_ reason: String) -> Event {
        drop()
        return .broken(reason)
    }

    /// `send` without SIGPIPE: a server closing mid-write must fail this request, not kill the
    /// whole tool (Linux has MSG_NOSIGNAL; Darwin only the SO_NOSIGPIPE socket option).
    private static func send(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.send(fd, bytes, count, Int32(MSG_NOSIGNAL))
        #else
        return Darwin.send(fd, bytes, count, 0)
        #endif
    }
}
