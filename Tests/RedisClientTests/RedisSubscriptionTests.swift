import FlimmerTestSupport
import NIOConcurrencyHelpers
import RedisClient
import Testing

@Suite("RedisClient subscriptions")
struct RedisSubscriptionTests {
    /// On a Redis of its own: CLIENT KILL TYPE pubsub would end every test's subscriptions.
    @Test func messagesArriveInOrderAndTheSubscriptionEndsWhenItsConnectionIsKilled() async throws {
        let server = try RedisProcess(persistent: false)
        try await withTestRedis(configuration: server.configuration) { redis throws in
            let channel = RedisClientTests.key("channel")
            let received = NIOLockedValueBox<[RedisPubSubMessage]>([])
            let subscription = try await redis.subscribe(patterns: [channel + ":*"], channels: [channel]) { message in
                received.withLockedValue { $0.append(message) }
            }
            for index in 0..<50 { try await redis.send(RedisCommand("PUBLISH", channel, "m\(index)")) }
            try await redis.send(RedisCommand("PUBLISH", channel + ":sub", "p"))
            try await eventually("51 messages") { received.withLockedValue { $0.count } == 51 }
            let messages = received.withLockedValue { $0 }
            #expect(messages.prefix(50).map { String(decoding: $0.payload, as: UTF8.self) } == (0..<50).map { "m\($0)" })
            let last = try #require(messages.last)
            #expect(last.channel == channel + ":sub" && last.pattern == channel + ":*" && last.payload == Array("p".utf8))
            #expect(subscription.isActive)
            #expect(try await redis.send(RedisCommand("CLIENT", "KILL", "TYPE", "pubsub")).int ?? 0 >= 1)
            await subscription.closed()
            #expect(!subscription.isActive)
        }
    }

    @Test func aRefusedSubscriptionThrows() async throws {
        try await withTestRedis(configuration: try TestEnvironment.gatewayRedisConfiguration()) { redis in
            let error = try await #require(throws: RedisError.self) {
                _ = try await redis.subscribe(channels: ["not-a-channel-the-gateway-may-use"]) { _ in }
            }
            #expect(error.message.hasPrefix("NOPERM"))
        }
    }
}
