import AsyncHTTPClient
import ContentQueue
import Foundation
import Gateway
import Logging
import NIOCore
import NIOHTTP1
import RedisClient
import Server
import ServiceLifecycle

/// A live gateway on a free port, against the test Redis, for the length of one closure.
public struct TestServer: TestGateway {
    public let server: FlimmerSyncServer
    public let port: Int
    let group: ServiceGroup
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts a server (port 0), waits until it listens and its subscription is up, runs
    /// `body`, then shuts it down gracefully and waits for that to finish.
    public static func run<Result: Sendable>(
        configure: @Sendable (inout ServerConfiguration) -> Void = { _ in },
        waitForSubscription: Bool = true,
        logger: Logger = TestEnvironment.logger,
        _ body: @Sendable (TestServer) async throws -> Result
    ) async throws -> Result {
        var configuration = ServerConfiguration(
            host: "127.0.0.1",
            port: 0,
            redis: try TestEnvironment.redisConfiguration(),
            jwtSecret: TestEnvironment.jwtSecret
        )
        configure(&configuration)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server = try await FlimmerSyncServer(configuration: configuration, logger: logger) { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        let group = ServiceGroup(
            configuration: .init(services: server.services.map { .init(service: $0) }, logger: logger)
        )
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestFailure("the server did not start") }
            let testServer = TestServer(server: server, port: port, group: group)
            let result: Swift.Result<Result, any Error>
            do {
                if waitForSubscription { try await testServer.waitUntilSubscribed() }
                result = .success(try await body(testServer))
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }

    /// Starts a graceful shutdown now, as SIGTERM would (the closure's end does it too).
    public func beginShutdown() async {
        await group.triggerGracefulShutdown()
    }

    /// Starts a graceful shutdown and waits until the port refuses connections, so that a
    /// client's next request surely finds no gateway (a fixed sleep does not, on a busy machine).
    public func shutDownListener(timeout: Duration = .seconds(10)) async throws {
        await beginShutdown()
        try await eventually("the gateway to stop accepting connections", timeout: timeout, poll: .milliseconds(20)) {
            (try? RawConnection(port: port)) == nil
        }
    }

    /// Waits until the gateway's Redis subscription is confirmed.
    public func waitUntilSubscribed(timeout: Duration = .seconds(10)) async throws {
        try await eventually("the gateway to subscribe to Redis", timeout: timeout, poll: .milliseconds(5)) { server.subscriber.isSubscribed }
    }

    /// Sends one request over HTTP/1.1 to the port and reads the whole response.
    public func request(
        _ method: HTTPMethod,
        _ path: String,
        token: String? = nil,
        headers: [(String, String)] = [],
        bytes: [UInt8]?
    ) async throws -> TestResponse {
        try await TestHTTP.request(method, baseURL + path, token: token, headers: headers, bytes: bytes)
    }

    /// Opens the event stream of `token` and waits for its opening frames (the `id:` line every
    /// stream starts with); closes it and rethrows if they do not come.
    public func openedStream(token: String) async throws -> SSETestStream {
        let stream = try await openStream(token: token)
        do {
            try await stream.waitUntil("the opening frames") { $0.lastEventID != nil }
        } catch {
            stream.close()
            throw error
        }
        return stream
    }

    /// Opens the event stream; returns once the response head has arrived.
    public func openStream(
        token: String?,
        query: String = "",
        lastEventID: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> SSETestStream {
        var request = HTTPClientRequest(url: baseURL + "/api/events" + query)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Accept", value: "text/event-stream")
        let response = try await TestHTTP.client.execute(request, timeout: .seconds(600))
        return SSETestStream(response: response)
    }
}
