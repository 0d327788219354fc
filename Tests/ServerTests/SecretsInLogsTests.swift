import ContentQueue
import FlimmerTestSupport
import InMemoryLogging
import Logging
import RedisClient
import Server
import Testing

/// Tokens, stream tickets and Redis credentials never reach the logs, at debug level, whatever the request.
@Suite("Secrets in logs")
struct SecretsInLogsTests {
    @Test func noTokenAndNoRedisPasswordIsLogged() async throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "flimmer-secrets-test") { _ in handler }
        logger.logLevel = .debug
        let redis = try TestEnvironment.redisConfiguration()
        let tokens = try await TestServer.run(logger: logger) { server in
            let family = try await server.family()
            let expired = try await family.token(user: "mom", role: .parent, ttl: -600)
            try await server.upload(token: family.child)
            _ = try await server.request(.GET, "/api/content/queue", token: expired)
            _ = try await server.request(.GET, "/api/content/queue", token: family.child)
            _ = try await server.request(.GET, "/api/content/queue", token: family.parent + "x")
            let stream = try await server.openStream(token: nil, query: "?access_token=\(family.parent)")
            try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
            stream.close()
            _ = try await server.request(.GET, "/api/events?access_token=\(expired)")
            let issued = try await server.request(.POST, "/api/events/ticket", token: family.parent)
            let ticket = try #require(try issued.json()["ticket"] as? String)
            let ticketed = try await server.openStream(token: nil, query: "?ticket=\(ticket)")
            try await ticketed.waitUntil("the opening id") { $0.lastEventID != nil }
            ticketed.close()
            // Refused uses are logged too (as 401s): without the ticket.
            _ = try await server.request(.GET, "/api/events?ticket=\(ticket)")
            return [family.parent, family.child, expired, ticket]
        }
        let lines = handler.entries.map { "\($0.message) \($0.metadata)" }
        #expect(!lines.isEmpty)
        for token in tokens {
            // Any part of a token would do: its signature is the secret-bearing part (a ticket has one part).
            let signature = String(token.split(separator: ".").last ?? "")
            #expect(!lines.contains { $0.contains(signature) }, "a token's signature was logged")
        }
        if let password = redis.password {
            #expect(!lines.contains { $0.contains(password) }, "the Redis password was logged")
        }
    }
}
