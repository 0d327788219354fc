import FlimmerFormats

/// Publishes to a Pushpin channel: `POST /publish/` on its HTTP publish port, one item whose
/// `http-stream` content is the SSE frame `data: <payload>\n\n` (what Nchan sends for a POSTed
/// message). Pushpin's publish port closes the connection after each answer, so each publish
/// connects anew (on loopback, a few tens of µs: small beside a fan-out to thousands).
final class PushpinPublisher: PublishChannel {
    private let endpoint: Endpoint
    private let head: String
    private let channel: String

    init(_ endpoint: Endpoint, channel: String) throws {
        self.endpoint = endpoint
        // A first connect, so that a wrong address fails before the streams connect.
        _ = try BlockingSocket(endpoint)
        head = "POST \(endpoint.path)/publish/ HTTP/1.1\r\nHost: \(endpoint.hostHeader)\r\nContent-Type: application/json\r\n"
        self.channel = channel
    }

    func publish(_ payload: [UInt8]) throws {
        let frame = "data: " + String(decoding: payload, as: UTF8.self) + "\n\n"
        let body = Array(#"{"items":[{"channel":"\#(channel)","formats":{"http-stream":{"content":\#(JSONText.quoted(frame))}}}]}"#.utf8)
        let socket = try BlockingSocket(endpoint)
        try socket.write(Array("\(head)Content-Length: \(body.count)\r\n\r\n".utf8) + body)
        let reply = try socket.readReply(NchanPublisher.httpResponse)
        guard reply.count > 12, reply[9] == UInt8(ascii: "2") else {
            throw BlockingSocket.Failure(description: "publish answered \(String(decoding: reply.prefix(40), as: UTF8.self))")
        }
    }
}
