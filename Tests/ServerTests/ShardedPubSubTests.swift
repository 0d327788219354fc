import ContentQueue
import FlimmerTestSupport
import Foundation
import Gateway
import RedisClient
import Server
import Testing

/// Sharded pub/sub (`--redis-pubsub sharded`) on one Redis, which takes SPUBLISH and SSUBSCRIBE
/// too (7.0): the gateway's side of it, without a cluster. The cluster itself is in `ClusterTests`.
@Suite("Sharded pub/sub on one Redis")
struct ShardedPubSubTests {
    private static func sharded(_ configuration: inout ServerConfiguration) {
        configuration.store.channels = .sharded
        configuration.subscriber.channels = .sharded
        configuration.subscriber.sweepInterval = .milliseconds(100)
    }

    /// The shard channel's subscriber count, as Redis counts it.
    private static func subscribers(_ family: TestFamily) async throws -> Int {
        try await withTestRedis { redis in
            let channel = InvalidationPayload.shardChannel(family: family.id.rawValue)
            let reply = try await redis.send(RedisCommand("PUBSUB", "SHARDNUMSUB", channel))
            return reply.array?.last?.int ?? -1
        }
    }

    @Test func anUploadIsSpublishedOnItsFamilysShardChannelAndReachesItsStreamsOnly() async throws {
        try await TestServer.run(configure: Self.sharded) { server in
            let family = try await server.family()
            let other = try await server.family()
            let stream = try await server.openedStream(token: family.parent)
            defer { stream.close() }
            let otherStream = try await server.openedStream(token: other.parent)
            defer { otherStream.close() }
            #expect(try await Self.subscribers(family) == 1, "subscribed before the stream's version was read")

            let upload = try await server.upload(token: family.child)
            let event = try await stream.nextEvent()
            #expect(event.type == "invalidate")
            let payload = try JSONDecoder().decode(InvalidationPayload.self, from: Data(event.data.utf8))
            #expect(payload.family == family.id.rawValue && payload.version == upload.version)
            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent)
            #expect(queue.headers.first(name: "etag") == "\"\(event.id)\"")
            // The other family's stream hears nothing of it.
            _ = try await server.upload(token: other.child)
            let otherEvent = try await otherStream.nextEvent()
            #expect(otherEvent.data.contains(other.id.rawValue) && !otherEvent.data.contains(family.id.rawValue))
        }
    }

    @Test func aServicesInvalidationOfAnotherKeyTravelsOnTheFamilysShardChannelToo() async throws {
        try await TestServer.run(configure: Self.sharded) { server in
            let family = try await server.family()
            let stream = try await server.openedStream(token: family.parent)
            defer { stream.close() }
            let token = try await server.serviceToken(family: family.id)
            let response = try await server.request(
                .POST,
                "/api/invalidate",
                token: token,
                body: #"{"family":"\#(family.id.rawValue)","key":"profile"}"#
            )
            #expect(response.status == 200, "\(response.text)")
            let event = try await stream.nextEvent()
            #expect(event.data.contains(#""key":"profile""#))
        }
    }

    @Test func theFamilyIsUnsubscribedOnceItsLastStreamClosesAndSubscribedAgainForTheNext() async throws {
        try await TestServer.run(configure: Self.sharded) { server in
            let family = try await server.family()
            let first = try await server.openedStream(token: family.parent)
            let second = try await server.openedStream(token: family.child)
            #expect(try await Self.subscribers(family) == 1, "one subscription per family, whatever its streams")
            first.close()
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await Self.subscribers(family) == 1, "a stream of the family is still open")
            second.close()
            try await eventually("the family is unsubscribed") { try await Self.subscribers(family) == 0 }

            let again = try await server.openedStream(token: family.parent)
            defer { again.close() }
            #expect(try await Self.subscribers(family) == 1)
            let upload = try await server.upload(token: family.child)
            let event = try await again.nextEvent()
            #expect(FamilyVersion(tag: event.id)?.version == upload.version)
        }
    }

    @Test func aSubscriberOnAnotherChannelThanTheStoreIsRefused() throws {
        var configuration = ServerConfiguration(jwtSecret: TestEnvironment.jwtSecret)
        configuration.subscriber.channels = .sharded
        let error = try #require(throws: ConfigurationError.self) { try configuration.validate() }
        #expect(error.setting == "subscriber.channels")
    }
}
