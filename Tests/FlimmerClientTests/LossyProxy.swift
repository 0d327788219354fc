import FlimmerTestSupport
import Foundation
import Glibc
import Synchronization

/// A loopback HTTP/1.1 proxy in front of a gateway that spoils the first exchange on purpose, so
/// that a client's retry can be watched: `.loseFirstAnswer` forwards the first request and drops
/// the gateway's answer (the connection closes unanswered: written, but the client cannot know),
/// `.refuseFirst503` answers the first request itself with `503` and `Retry-After: 0` without
/// forwarding it. Every later request is forwarded and answered. One connection per request.
final class LossyProxy: Sendable {
    enum Mode: Sendable {
        case loseFirstAnswer
        case refuseFirst503
    }

    let port: Int
    private let listener: Int32
    private let upstreamPort: Int
    private let mode: Mode
    private let keys = Mutex<[String]>([])

    /// The `Idempotency-Key` of each request received, in order.
    var idempotencyKeys: [String] { keys.withLock { $0 } }

    init(upstreamPort: Int, mode: Mode) throws {
        let listener = try LoopbackListener(backlog: 8)
        self.listener = listener.descriptor
        port = listener.port
        self.upstreamPort = upstreamPort
        self.mode = mode
        Thread { [self] in serve() }.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func serve() {
        defer { close(listener) }
        var exchanges = 0
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            defer { close(client) }
            guard let request = Self.readMessage(client) else { continue }
            exchanges += 1
            let head = String(decoding: request.prefix(while: { $0 != 0 }), as: UTF8.self)
            if let key = Self.header("Idempotency-Key", in: head) { keys.withLock { $0.append(key) } }
            if exchanges == 1, mode == .refuseFirst503 {
                let body = #"{"error":{"code":"redis_unavailable","message":"try again"}}"#
                Self.sendAll(
                    Array(
                        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
                            .utf8
                    ),
                    to: client
                )
                continue
            }
            guard let upstream = try? RawConnection.connect(port: upstreamPort) else { continue }
            defer { close(upstream) }
            Self.sendAll(request, to: upstream)
            guard let answer = Self.readMessage(upstream) else { continue }
            if exchanges == 1, mode == .loseFirstAnswer { continue }
            Self.sendAll(answer, to: client)
        }
    }

    /// One HTTP/1.1 message: the head and a `Content-Length` body.
    private static func readMessage(_ socket: Int32) -> [UInt8]? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        let separator = Array("\r\n\r\n".utf8)
        while true {
            if let end = bytes.firstRange(of: separator)?.upperBound {
                let head = String(decoding: bytes[..<end], as: UTF8.self)
                let length = header("Content-Length", in: head).flatMap(Int.init) ?? 0
                if bytes.count >= end + length { return Array(bytes[..<(end + length)]) }
            }
            let count = recv(socket, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            bytes += buffer[0..<count]
        }
    }

    private static func header(_ name: String, in head: String) -> String? {
        for line in head.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    private static func sendAll(_ bytes: [UInt8], to socket: Int32) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            offset += sent
        }
    }
}
