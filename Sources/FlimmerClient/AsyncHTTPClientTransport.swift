import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1

/// The default `HTTPTransport`: AsyncHTTPClient on SwiftNIO (NIO Transport Services on Apple
/// platforms), by default its process-wide shared client.
public struct AsyncHTTPClientTransport: HTTPTransport {
    /// The client requests go through.
    public let client: HTTPClient
    private let logger: Logger

    /// A transport over `client`; `logger` gets AsyncHTTPClient's own request logging.
    public init(_ client: HTTPClient = .shared, logger: Logger = Logger(label: "flimmer.client.http")) {
        self.client = client
        self.logger = logger
    }

    public func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        var prepared = HTTPClientRequest(url: request.url)
        prepared.method = HTTPMethod(rawValue: request.method)
        for field in request.headers { prepared.headers.add(name: field.name, value: field.value) }
        if let body = request.body { prepared.body = .bytes(ByteBuffer(bytes: body)) }
        // AsyncHTTPClient's deadline covers the whole response, body included: a stream would be
        // cut at it. A day is "never" here; the stream's reader guards the silence.
        let deadline = request.timeout.map { TimeAmount($0) } ?? .hours(24)
        let response = try await client.execute(prepared, timeout: deadline, logger: logger)
        let chunks = ChunkIterator(response.body.makeAsyncIterator())
        return HTTPTransportResponse(
            status: Int(response.status.code),
            headers: response.headers.map { (name: $0.name, value: $0.value) },
            body: HTTPTransportBody { try await chunks.next() }
        )
    }
}

// The body's iterator is not Sendable; HTTPTransportBody calls `read` from one task at a time.
private final class ChunkIterator: @unchecked Sendable {
    private var base: HTTPClientResponse.Body.AsyncIterator

    init(_ base: HTTPClientResponse.Body.AsyncIterator) { self.base = base }

    func next() async throws -> [UInt8]? {
        try await base.next().map { Array($0.readableBytesView) }
    }
}
