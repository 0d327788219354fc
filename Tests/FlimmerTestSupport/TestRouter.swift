import ContentQueue
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import RedisClient
import Server

/// The gateway's router answering requests in-process, with HummingbirdTesting's `.router`
/// mode: no socket, no subscription, no fan-out running. For tests of what a request is
/// answered (validation, auth, routing); what crosses the network takes a ``TestServer``.
///
/// The event-stream fast path lives on the connection, not in the router, so streams are
/// never tested here.
public struct TestRouter: TestGateway {
    /// The Redis the router's handlers reach.
    public enum RedisMode: Sendable {
        /// None: a port nothing listens on, so a handler that touches Redis answers 503 and a
        /// test expecting a validation error fails.
        case none
        /// The test Redis, for tests that set state up or prove a rejected request changed nothing.
        case test
    }

    public let server: FlimmerSyncServer
    let client: any TestClientProtocol

    /// Builds the application as `FlimmerSyncServer` does, runs `body` against its router,
    /// then shuts down the Redis client the server made.
    public static func run<Result: Sendable>(
        redis: RedisMode = .none,
        configure: @Sendable (inout ServerConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestRouter) async throws -> Result
    ) async throws -> Result {
        let redisConfiguration =
            switch redis {
            case .none: RedisConfiguration(host: "127.0.0.1", port: 1, connectTimeout: .milliseconds(200), commandTimeout: .milliseconds(200))
            case .test: try TestEnvironment.redisConfiguration()
            }
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, redis: redisConfiguration, jwtSecret: TestEnvironment.jwtSecret)
        configure(&configuration)
        let server = try await FlimmerSyncServer(configuration: configuration, logger: TestEnvironment.logger)
        do {
            let result = try await server.application.test(.router) { client in try await body(TestRouter(server: server, client: client)) }
            await server.redis.shutdown()
            return result
        } catch {
            await server.redis.shutdown()
            throw error
        }
    }

    public func request(
        _ method: NIOHTTP1.HTTPMethod,
        _ path: String,
        token: String? = nil,
        headers: [(String, String)] = [],
        bytes: [UInt8]?
    ) async throws -> TestResponse {
        var fields = HTTPFields()
        if let token { fields.append(HTTPField(name: .authorization, value: "Bearer \(token)")) }
        if bytes != nil { fields.append(HTTPField(name: .contentType, value: "application/json")) }
        for (name, value) in headers {
            guard let fieldName = HTTPField.Name(name) else { throw TestFailure("not a header name: \(name)") }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        guard let requestMethod = HTTPRequest.Method(method.rawValue) else { throw TestFailure("not a method: \(method)") }
        let response = try await client.executeRequest(
            uri: path,
            method: requestMethod,
            headers: fields,
            body: bytes.map { ByteBuffer(bytes: $0) }
        )
        return TestResponse(
            status: Int(response.status.code),
            headers: HTTPHeaders(response.headers.map { ($0.name.rawName, $0.value) }),
            body: Array(response.body.readableBytesView)
        )
    }
}
