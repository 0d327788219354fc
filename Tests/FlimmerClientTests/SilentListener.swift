import FlimmerTestSupport
import Glibc

/// A loopback port that completes TCP handshakes (the kernel does, from the backlog) but never
/// accepts or answers: a server that takes a request and says nothing.
final class SilentListener: Sendable {
    let port: Int
    private let socketDescriptor: Int32

    init() throws {
        let listener = try LoopbackListener()
        socketDescriptor = listener.descriptor
        port = listener.port
    }

    /// Stops listening; connections in the backlog are reset.
    func stop() {
        close(socketDescriptor)
    }
}
