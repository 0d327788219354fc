import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP connection to the test server, for clients no HTTP library would imitate:
/// one that trickles its request head byte by byte, or one that never reads.
public final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32

    /// - Parameter receiveBufferSize: a small SO_RCVBUF (set before connecting, so the TCP
    ///   window stays small) makes the server's writes block soon after the client stops reading.
    public init(port: Int, receiveBufferSize: Int32? = nil) throws {
        descriptor = try Self.connect(port: port, receiveBufferSize: receiveBufferSize)
    }

    /// A connected, blocking socket to a loopback port, or a thrown error with nothing left open;
    /// its caller closes it. (The init makes its socket here, before `self` exists: a failed init
    /// whose object was complete would run `deinit` and close the descriptor a second time, by
    /// then maybe someone else's, an event loop's socket.)
    public static func connect(port: Int, receiveBufferSize: Int32? = nil) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket() failed") }
        if var size = receiveBufferSize {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw TestFailure("connect() failed")
        }
        return descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Sends bytes; returns `false` once the server has closed the connection.
    @discardableResult
    public func send(_ text: String) -> Bool {
        text.withCString { Glibc.send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) } >= 0 && !isClosedByServer()
    }

    /// Sends `text` one byte at a time, `interval` apart, as a slowloris client does; returns
    /// whether the server closed the connection before all of it was sent.
    public func trickle(_ text: String, every interval: Duration) async throws -> Bool {
        for byte in text {
            guard send(String(byte)) else { return true }
            try await Task.sleep(for: interval)
        }
        return false
    }

    /// Opens the event stream with `token` and then never reads: the server's writes block
    /// once the buffers fill.
    public static func stalledStream(port: Int, token: String) throws -> RawConnection {
        let connection = try RawConnection(port: port, receiveBufferSize: 4096)
        let request = "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nAccept: text/event-stream\r\n\r\n"
        guard connection.send(request) else { throw TestFailure("send() failed") }
        return connection
    }

    /// Waits until the server has closed the connection, draining what it had sent.
    public func serverClosed(timeout: Duration) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var descriptorSet = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptorSet, 1, 100) > 0 else { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 || (count < 0 && errno == ECONNRESET) { return true }
        }
        return false
    }

    /// Reads until the text received so far (from the first byte of the connection) contains
    /// `marker`, or the server closes, or `timeout` passes; returns all of it.
    public func receive(until marker: String, timeout: Duration = .seconds(5)) async -> String {
        guard !received.contains(marker) else { return received }
        await read(timeout: timeout) { chunk in
            received += String(decoding: chunk, as: UTF8.self)
            return received.contains(marker)
        }
        return received
    }

    private var received = ""

    /// Reads until `marker` arrives, or the server closes, or `timeout` passes, and returns the
    /// bytes read by this call. For long bodies: only the newly read bytes are searched.
    public func receiveBytes(until marker: String, timeout: Duration = .seconds(5)) async -> [UInt8] {
        let needle = Array(marker.utf8)
        var bytes: [UInt8] = []
        await read(timeout: timeout) { chunk in
            let searchFrom = max(0, bytes.count - needle.count + 1)
            bytes.append(contentsOf: chunk)
            return bytes[searchFrom...].firstRange(of: needle) != nil
        }
        return bytes
    }

    /// Hands each chunk the server sends to `done` until it returns true, the server closes, or
    /// `timeout` passes. Waits without blocking its thread: the server under test runs in the
    /// same process.
    private func read(timeout: Duration, _ done: (ArraySlice<UInt8>) -> Bool) async {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var descriptorSet = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptorSet, 1, 0) > 0 else {
                try? await Task.sleep(for: .milliseconds(5))
                continue
            }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0, !done(buffer[0..<count]) else { return }
        }
    }

    /// Whether the server closed its side (EOF or reset), without waiting.
    public func isClosedByServer() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var descriptorSet = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptorSet, 1, 0) > 0 else { return false }
        let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        return count == 0 || (count < 0 && errno == ECONNRESET)
    }
}
