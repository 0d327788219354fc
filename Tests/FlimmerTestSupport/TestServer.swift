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
public struct TestServer: Sendable {
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
            host: "127.0.0.1", port: 0, redis: try TestEnvironment.redisConfiguration(), jwtSecret: TestEnvironment.jwtSecret
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
        let deadline = ContinuousClock.now + timeout
        while (try? RawConnection(port: port)) != nil {
            if ContinuousClock.now >= deadline { throw TestFailure("the gateway still accepts connections") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until the gateway's Redis subscription is confirmed.
    public func waitUntilSubscribed(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !server.subscriber.isSubscribed {
            if ContinuousClock.now >= deadline { throw TestFailure("the gateway did not subscribe to Redis") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// A token signed with the test secret.
    public func token(family: FamilyID, user: String, role: Role, ttl: TimeInterval = 600) async throws -> String {
        try await server.tokens.issue(for: Principal(family: family, user: UserID(user)!, role: role), ttl: ttl)
    }

    /// A service token signed with the test secret: for `family`, or every family when nil.
    public func serviceToken(family: FamilyID?, user: String = "billing", ttl: TimeInterval = 600) async throws -> String {
        try await server.tokens.issueService(user: UserID(user)!, family: family, ttl: ttl)
    }

    /// Sends one request and reads the whole response.
    public func request(
        _ method: HTTPMethod, _ path: String, token: String? = nil, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> TestResponse {
        try await request(method, path, token: token, headers: headers, bytes: body.map { Array($0.utf8) })
    }

    public func request(
        _ method: HTTPMethod, _ path: String, token: String? = nil, headers: [(String, String)] = [], bytes: [UInt8]?
    ) async throws -> TestResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if bytes != nil { request.headers.add(name: "Content-Type", value: "application/json") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let bytes { request.body = .bytes(ByteBuffer(bytes: bytes)) }
        let response = try await TestHTTP.client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return TestResponse(status: Int(response.status.code), headers: response.headers, body: Array(body.readableBytesView))
    }

    /// Opens the event stream; returns once the response head has arrived.
    public func openStream(
        token: String?, query: String = "", lastEventID: String? = nil, headers: [(String, String)] = []
    ) async throws -> SSETestStream {
        var request = HTTPClientRequest(url: baseURL + "/api/events" + query)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Accept", value: "text/event-stream")
        let response = try await TestHTTP.client.execute(request, timeout: .seconds(600))
        return SSETestStream(response: response)
    }

    /// Uploads as `child` and returns the created item's id and version.
    @discardableResult
    public func upload(token: String, title: String = "A video") async throws -> (id: String, version: Int) {
        let response = try await request(.POST, "/api/content/upload", token: token, body: #"{"title":"\#(title)"}"#)
        guard response.status == 200 else { throw TestFailure("upload answered \(response.status): \(response.text)") }
        let json = try response.json()
        guard let item = json["item"] as? [String: Any], let id = item["id"] as? String, let version = json["version"] as? Int else {
            throw TestFailure("upload answered an unexpected body: \(response.text)")
        }
        return (id, version)
    }
}
