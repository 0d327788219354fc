import FlimmerTestSupport
import Foundation
import Glibc
import NIOConcurrencyHelpers

@testable import flimmer_bench

/// A loopback event-stream server that answers its n-th connection with the n-th of `bodies`
/// (after a `200 text/event-stream` head) and then closes it; connections past the last body
/// get the head and are held open, silent, until `stop()`.
final class ScriptedSSEServer: Sendable {
    let port: Int
    private let listener: Int32
    private let held = NIOLockedValueBox<[Int32]>([])

    init(bodies: [String]) throws {
        let listener = try LoopbackListener()
        self.listener = listener.descriptor
        port = listener.port
        Thread { [self] in serve(bodies) }.start()
    }

    /// A loopback port nothing listens on (connects are refused).
    static func refusedPort() throws -> Int {
        let server = try ScriptedSSEServer(bodies: [])
        server.stop()
        return server.port
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        for client in held.withLockedValue({ $0 }) { close(client) }
    }

    private func serve(_ bodies: [String]) {
        defer { close(listener) }
        var served = 0
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            var request = [UInt8](repeating: 0, count: 4096)
            _ = recv(client, &request, request.count, 0)
            var response = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
            if served < bodies.count { response += bodies[served] }
            _ = Array(response.utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if served < bodies.count {
                close(client)
            } else {
                held.withLockedValue { $0.append(client) }
            }
            served += 1
        }
    }
}
