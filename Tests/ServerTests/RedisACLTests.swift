import ContentQueue
import FlimmerTestSupport
import Foundation
import RedisClient
import Server
import Testing

/// The gateway works with nothing but its ACL user from redis/users.acl, and that user can
/// do nothing else.
@Suite("Redis ACL")
struct RedisACLTests {
    @Test func theWholeFlowRunsAsTheRestrictedGatewayUser() async throws {
        let gateway = try TestEnvironment.gatewayRedisConfiguration()
        try await TestServer.run(configure: {
            $0.redis = gateway
            $0.hub.recheckInterval = .milliseconds(300)
            $0.subscriber.probeInterval = .milliseconds(200)
        }) { server in
            let family = try await server.family()
            let stream = try await server.openStream(token: family.parent, lastEventID: "garbage")
            defer { stream.close() }
            #expect(try await stream.nextEvent().type == "reset")
            let first = try await server.upload(token: family.child)
            let second = try await server.upload(token: family.child)
            #expect(try await server.request(.POST, "/api/content/\(first.id)/approve", token: family.parent).status == 200)
            #expect(
                try await server.request(.POST, "/api/content/\(second.id)/reject", token: family.parent, body: #"{"reason":"no"}"#).status == 200
            )
            #expect(try await server.request(.GET, "/api/content/\(first.id)", token: family.child).status == 200)
            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent)
            #expect(queue.status == 200)
            #expect(try queue.json()["version"] as? Int == 4)
            try await stream.waitUntil("version 4 on the stream") { $0.lastEventID?.hasSuffix("-4") == true }
            // A stream ticket is stored and taken as the gateway user as well.
            let issued = try await server.request(.POST, "/api/events/ticket", token: family.child)
            #expect(issued.status == 201)
            let ticket = try #require(try issued.json()["ticket"] as? String)
            let ticketed = try await server.openStream(token: nil, query: "?ticket=\(ticket)")
            defer { ticketed.close() }
            try await ticketed.waitUntil("the ticket's stream at version 4") { $0.lastEventID?.hasSuffix("-4") == true }
            // Probes and re-checks ran as the gateway user too, without losing the subscription.
            try await Task.sleep(for: .milliseconds(700))
            #expect(server.server.subscriber.probesLost == 0)
            #expect(try await server.request(.GET, "/health/ready").status == 200)
        }
    }

    @Test(arguments: [
        ["FLUSHALL"], ["KEYS", "*"], ["CONFIG", "GET", "maxmemory"], ["GET", "other:key"], ["SET", "session:x", "1"],
        ["DEL", "contentQueue:{x}"], ["PUBLISH", "other-channel", "x"], ["EVAL", "return 1", "0"], ["SHUTDOWN"],
    ])
    func theGatewayUserCannot(_ command: [String]) async throws {
        try await withTestRedis(configuration: try TestEnvironment.gatewayRedisConfiguration()) { redis in
            let reply = try await redis.send(RedisCommand(arguments: command.map { Array($0.utf8) }))
            #expect(reply.errorMessage?.hasPrefix("NOPERM") == true, "\(command) answered \(reply)")
        }
    }

    @Test func theDefaultUserIsDisabled() async throws {
        var anonymous = try TestEnvironment.gatewayRedisConfiguration()
        anonymous.username = nil
        anonymous.password = nil
        try await withTestRedis(configuration: anonymous) { redis throws in
            #expect(try await redis.send(RedisCommand("GET", "contentQueue:{x}")).errorMessage?.hasPrefix("NOAUTH") == true)
        }
    }
}
