import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An `http://host:port` target resolved once to a socket address, so that opening (and
/// reopening) the bench's connections costs one `socket` + `connect` each and no lookups.
struct HTTPSocketTarget: Sendable {
    /// `host:port` as sent in the `Host` header.
    let hostHeader: String
    private let family: Int32
    private let address: [UInt8]

    /// Resolves the host and port of an `http://` URL (https is not supported: the bench
    /// measures the gateway, not TLS).
    init(url: String) throws {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host, !host.isEmpty
        else { throw SocketError("expected an http://host[:port] URL, got \(url)") }
        let port = components.port ?? 80
        var hints = addrinfo()
        hints.ai_socktype = Self.streamType
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw SocketError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        family = first.pointee.ai_family
        address = Array(UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// A connected, non-blocking TCP socket with Nagle off. The connect itself blocks: it
    /// happens once per connection (and after the server closes one), and on the loopback it
    /// takes microseconds, so a non-blocking connect state machine would buy nothing.
    func connectNonBlocking() throws -> Int32 {
        let fd = socket(family, Self.streamType, 0)
        guard fd >= 0 else { throw SocketError("socket: \(String(cString: strerror(errno)))") }
        let connected = address.withUnsafeBytes { raw in
            connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        guard connected == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw SocketError("connect to \(hostHeader): \(message)")
        }
        // A request is written with one send; without TCP_NODELAY a partial write's tail
        // could wait for the server's delayed ACK (up to 40 ms on Linux) and skew latencies.
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        return fd
    }

    #if canImport(Glibc)
    private static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    private static let streamType = SOCK_STREAM
    #endif
}
