import FlimmerTestSupport
import Foundation
import Glibc
import Synchronization

/// A loopback event-stream server that answers one connection with `200 text/event-stream` and
/// then writes numbered events (`id: N`, 1 KiB of data) as fast as the client reads them, until
/// `stop()`: how far it got shows whether the client is still reading.
final class FloodingServer: Sendable {
    let port: Int
    private let listener: Int32
    private let written = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    /// Bytes of events written into the connection so far.
    var bytesWritten: Int { written.load(ordering: .relaxed) }

    init() throws {
        let listener = try LoopbackListener(backlog: 4)
        self.listener = listener.descriptor
        port = listener.port
        Thread { [self] in serve() }.start()
    }

    /// Stops writing and closes the connection and the listener.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func serve() {
        defer { close(listener) }
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { return }
        defer { close(connection) }
        // A send that would block returns after 100 ms, so stop() is noticed.
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8](repeating: 0, count: 4096)
        guard recv(connection, &request, request.count, 0) > 0 else { return }
        guard write(Array("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n".utf8), to: connection, counted: false) else { return }
        let padding = String(repeating: "x", count: 1024)
        var number = 0
        while !stopped.load(ordering: .relaxed) {
            number += 1
            guard write(Array("id: \(number)\ndata: \(padding)\n\n".utf8), to: connection, counted: true) else { return }
        }
    }

    /// Writes all of `bytes`, retrying sends that timed out; false once stopped or the peer is gone.
    private func write(_ bytes: [UInt8], to connection: Int32, counted: Bool) -> Bool {
        var offset = 0
        while offset < bytes.count {
            if stopped.load(ordering: .relaxed) { return false }
            let sent = bytes[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
                return false
            }
            offset += sent
            if counted { written.add(sent, ordering: .relaxed) }
        }
        return true
    }
}
