import ArgumentParser
import Foundation
import Glibc

/// A server address taken from a URL (`http://127.0.0.1:8080`, `redis://127.0.0.1:6379/0`).
///
/// The load tool speaks IPv4 only: every target it measures listens on the loopback.
struct Endpoint: Sendable {
    var host: String
    var port: UInt16
    /// The URL's path without a trailing slash (an HTTP base path), or the Redis database number.
    var path: String

    init(url text: String, defaultPort: UInt16) throws {
        guard let url = URL(string: text), let host = url.host else { throw ValidationError("not a URL: \(text)") }
        // "localhost" resolves to ::1 first on some hosts; the targets listen on 127.0.0.1.
        self.host = host == "localhost" ? "127.0.0.1" : host
        self.port = url.port.map { UInt16($0) } ?? defaultPort
        var path = url.path
        while path.hasSuffix("/") { path.removeLast() }
        self.path = path
        guard inet_addr(self.host) != INADDR_NONE else { throw ValidationError("give an IPv4 address, not \(host)") }
    }

    /// The Redis database of a `redis://host:port/N` URL.
    var redisDatabase: Int { Int(path.dropFirst()) ?? 0 }

    /// `Host:` header value.
    var hostHeader: String { "\(host):\(port)" }

    var socketAddress: sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: inet_addr(host))
        return address
    }
}
