import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP connection to the test server, for clients no HTTP library would imitate:
/// one that trickles its request head byte by byte.
public final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32

    public init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw TestFailure("connect() failed")
        }
    }

    deinit {
        close(descriptor)
    }

    /// Sends bytes; returns `false` once the server has closed the connection.
    @discardableResult
    public func send(_ text: String) -> Bool {
        text.withCString { Glibc.send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) } >= 0 && !isClosedByServer()
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
