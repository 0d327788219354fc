import FlimmerTestSupport
import Foundation
import Glibc

@testable import flimmer_bench

/// A stand-in server for the receiver tests: accepts `streams` connections, then writes `events`
/// chunked SSE frames to each in 7-byte pieces, so that reads end inside markers and chunk framing.
final class SplittingServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let streams: Int
    private let events: Int

    init(streams: Int, events: Int) throws {
        self.streams = streams
        self.events = events
        let listener = try LoopbackListener()
        self.listener = listener.descriptor
        port = UInt16(listener.port)
    }

    func start() {
        Thread { [self] in serve() }.start()
    }

    private func serve() {
        var clients: [Int32] = []
        for _ in 0..<streams {
            let client = accept(listener, nil, nil)
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var request = [UInt8](repeating: 0, count: 1024)
            _ = read(client, &request, 1024)
            send(client, Array("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".utf8))
            clients.append(client)
        }
        for version in 1...events {
            let frame = Array("id: e-\(version)\nevent: invalidate\ndata: {\"key\":\"contentQueue\",\"version\":\(version),\"pad\":\"xx\"}\n\n".utf8)
            // Two chunks, split inside the marker at a point that moves with the version.
            let cut = frame.firstRange(of: Array("\"version\":".utf8))!.lowerBound + 1 + version % 11
            var wire: [UInt8] = []
            for piece in [frame[..<cut], frame[cut...]] { wire += Array(String(piece.count, radix: 16).utf8) + [13, 10] + piece + [13, 10] }
            for start in stride(from: 0, to: wire.count, by: 7) {
                for client in clients { send(client, Array(wire[start..<min(start + 7, wire.count)])) }
                usleep(100)
            }
        }
        // The receiver closes first; then these go.
        sleep(2)
        for client in clients { close(client) }
        close(listener)
    }

    private func send(_ client: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { write(client, $0.baseAddress!, bytes.count) }
    }
}
