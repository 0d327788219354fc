import Glibc

/// A listening TCP socket on 127.0.0.1 and a port the kernel picked, for the tests' stand-in
/// servers (a silent port, a flooding or scripted event stream).
public struct LoopbackListener: Sendable {
    /// The listening socket; its owner closes it.
    public let descriptor: Int32
    public let port: Int

    /// Listens with room for `backlog` unaccepted connections.
    public init(backlog: Int32 = 16) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr = in_addr(s_addr: inet_addr("127.0.0.1"))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && listen(descriptor, backlog) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard descriptor >= 0, listening else {
            close(descriptor)
            throw TestFailure("could not listen on a loopback port")
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }
}
