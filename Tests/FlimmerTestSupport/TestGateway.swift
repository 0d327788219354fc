import ContentQueue
import NIOHTTP1
import Server

/// A gateway that tests send requests to: a live server on a port (``TestServer``), or the
/// router answering in-process (``TestRouter``). Tests written against it read the same in
/// both modes; the shared helpers are in `TestGateway+Requests.swift`.
public protocol TestGateway: Sendable {
    /// The gateway under test: its token authority, hub, subscriber and metrics.
    var server: FlimmerSyncServer { get }

    /// Sends one request and reads the whole response.
    func request(
        _ method: HTTPMethod,
        _ path: String,
        token: String?,
        headers: [(String, String)],
        bytes: [UInt8]?
    ) async throws -> TestResponse
}
