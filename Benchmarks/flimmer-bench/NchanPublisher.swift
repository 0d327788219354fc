/// Publishes to an Nchan channel: `POST /pub/<channel>` on one keep-alive connection.
final class NchanPublisher: PublishChannel {
    private let socket: BlockingSocket
    private let head: String

    init(_ endpoint: Endpoint, channel: String) throws {
        socket = try BlockingSocket(endpoint)
        head = "POST \(endpoint.path)/pub/\(channel) HTTP/1.1\r\nHost: \(endpoint.hostHeader)\r\nContent-Type: application/json\r\n"
    }

    func publish(_ payload: [UInt8]) throws {
        try socket.write(Array("\(head)Content-Length: \(payload.count)\r\n\r\n".utf8) + payload)
        let reply = try socket.readReply(Self.httpResponse)
        // Nchan answers 201 (message queued, no subscriber yet) or 202 (delivered to subscribers).
        guard reply.count > 12, reply[9] == UInt8(ascii: "2") else {
            throw BlockingSocket.Failure(description: "publish answered \(String(decoding: reply.prefix(40), as: UTF8.self))")
        }
    }

    /// The length of one whole HTTP response with a Content-Length body at the front of `buffer`, if it is all there.
    static func httpResponse(_ buffer: [UInt8]) -> Int? {
        guard let end = HTTPHead.end(of: buffer) else { return nil }
        let head = HTTPHead(buffer[..<end])
        let total = end + (head.contentLength ?? 0)
        return buffer.count >= total ? total : nil
    }
}
