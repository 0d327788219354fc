import ContentQueue
import FlimmerTestSupport
import Foundation
import Gateway
import RedisClient
import Server
import Testing

/// A gateway on a Redis Cluster of the test's own (3 masters, 1 replica each), as the
/// restricted `flimmer` user: families on every shard, sharded and classic pub/sub, a slot that
/// moves under a live stream, a shard's master killed, and no subscription left behind.
@Suite("Gateway on a Redis Cluster", .serialized)
struct ClusterGatewayTests {
    private static func configure(_ cluster: ClusterGroup, channels: InvalidationChannels) throws -> @Sendable (inout ServerConfiguration) -> Void {
        let url = try cluster.seedURL(aclUser: "flimmer")
        return { configuration in
            configuration.redis = try! RedisConfiguration(url: url)
            configuration.redis.poolSize = 8
            configuration.store.channels = channels
            configuration.store.minReplicas = 1
            configuration.subscriber.channels = channels
            configuration.subscriber.sweepInterval = .milliseconds(100)
        }
    }

    /// Families of the test's own, at least one on each master.
    private static func families(_ server: TestServer, _ cluster: ClusterGroup, count: Int = 6) async throws -> [TestFamily] {
        var families: [TestFamily] = []
        var masters: Set<Int> = []
        while families.count < count || masters.count < 3 {
            let family = try await server.family()
            masters.insert(try cluster.masterPort(forKey: ContentKeys(family: family.id).version))
            families.append(family)
        }
        return families
    }

    /// A new family's parent stream, open, after one upload and its event (the event's id).
    private static func streamAfterOneUpload(
        _ server: TestServer
    ) async throws -> (TestFamily, SSETestStream, (id: String, version: Int), String) {
        let family = try await server.family()
        let stream = try await server.openedStream(token: family.parent)
        do {
            let upload = try await server.upload(token: family.child)
            let event = try await stream.nextEvent()
            return (family, stream, upload, event.id)
        } catch {
            stream.close()
            throw error
        }
    }

    /// The first event on `stream` with id version `version` (earlier ones skipped: a re-check
    /// after the move or failover may come first), within 10 s.
    private static func event(on stream: SSETestStream, version: Int) async throws -> (id: String, type: String) {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let event = try await stream.nextEvent(timeout: max(.milliseconds(1), deadline - .now))
            if FamilyVersion(tag: event.id)?.version == version { return (event.id, event.type) }
        }
    }

    /// Subscribers of `family`'s shard channel on every running master, summed.
    private static func shardSubscribers(_ cluster: ClusterGroup, _ family: TestFamily) throws -> Int {
        let channel = InvalidationPayload.shardChannel(family: family.id.rawValue)
        return try cluster.masterPorts().reduce(0) { total, port in
            let lines = try cluster.command(["PUBSUB", "SHARDNUMSUB", channel], on: port).split(whereSeparator: \.isNewline)
            return total + (lines.last.flatMap { Int($0) } ?? 0)
        }
    }

    @Test(arguments: [InvalidationChannels.sharded, .classic])
    func uploadsOnEveryShardReachTheirFamilysStreams(channels: InvalidationChannels) async throws {
        let cluster = try await ClusterGroup()
        try await TestServer.run(configure: try Self.configure(cluster, channels: channels)) { server in
            let families = try await Self.families(server, cluster)
            var streams: [SSETestStream] = []
            for family in families {
                let stream = try await server.openedStream(token: family.parent)
                streams.append(stream)
            }
            defer { for stream in streams { stream.close() } }
            for (family, stream) in zip(families, streams) {
                let upload = try await server.upload(token: family.child)
                let event = try await stream.nextEvent()
                #expect(event.data.contains(family.id.rawValue), "\(channels): no other family's event")
                #expect(FamilyVersion(tag: event.id)?.version == upload.version)
                let queue = try await server.request(.GET, "/api/content/queue", token: family.parent)
                #expect(queue.status == 200)
                #expect(queue.headers.first(name: "etag") == "\"\(event.id)\"")
            }
            if channels == .sharded {
                for family in families { #expect(try Self.shardSubscribers(cluster, family) == 1) }
            }
        }
    }

    @Test func aStreamFollowsItsFamilyWhenTheSlotMovesToAnotherMaster() async throws {
        let cluster = try await ClusterGroup()
        try await TestServer.run(configure: try Self.configure(cluster, channels: .sharded)) { server in
            let (family, stream, before, _) = try await Self.streamAfterOneUpload(server)
            defer { stream.close() }
            let key = ContentKeys(family: family.id).version
            let source = try cluster.masterPort(forKey: key)
            let target = try cluster.masterPorts().first { $0 != source }!
            try await cluster.migrate(slot: cluster.slot(ofKey: key), to: target)
            // Redis ends the subscription on the old owner (sunsubscribe); the gateway makes it
            // again on the new one, and re-checks the family there: a new master's generation.
            try await eventually("subscribed on the new owner", timeout: .seconds(10)) {
                let channel = InvalidationPayload.shardChannel(family: family.id.rawValue)
                let lines = try cluster.command(["PUBSUB", "SHARDNUMSUB", channel], on: target).split(whereSeparator: \.isNewline)
                return lines.last == "1"
            }
            let upload = try await server.upload(token: family.child)
            #expect(upload.version == before.version + 1, "the data moved with the slot")
            let event = try await Self.event(on: stream, version: upload.version)
            #expect(event.type == "invalidate")
            #expect(try Self.shardSubscribers(cluster, family) == 1, "no subscription left on the old owner")

            // And back: the old owner's generation is the family's again (its events were those
            // of a history the family had left).
            try await cluster.migrate(slot: cluster.slot(ofKey: key), to: source)
            try await eventually("subscribed on the old owner again", timeout: .seconds(10)) {
                let channel = InvalidationPayload.shardChannel(family: family.id.rawValue)
                let lines = try cluster.command(["PUBSUB", "SHARDNUMSUB", channel], on: source).split(whereSeparator: \.isNewline)
                return lines.last == "1"
            }
            let back = try await eventuallyValue("an upload on the old owner", timeout: .seconds(10), poll: .milliseconds(100)) {
                try? await server.upload(token: family.child)
            }
            let backEvent = try await Self.event(on: stream, version: back.version)
            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent)
            #expect(queue.headers.first(name: "etag") == "\"\(backEvent.id)\"")
        }
    }

    @Test func aStreamFollowsItsFamilyWhenItsShardsMasterIsKilled() async throws {
        let cluster = try await ClusterGroup()
        try await TestServer.run(configure: try Self.configure(cluster, channels: .sharded)) { server in
            let (family, stream, before, firstID) = try await Self.streamAfterOneUpload(server)
            defer { stream.close() }
            let master = try cluster.masterPort(forKey: ContentKeys(family: family.id).version)
            try cluster.kill9(port: master)
            try await cluster.waitUntilSettled(timeout: .seconds(30))
            // The promoted replica has no replica of its own until the old master rejoins as
            // one; until then every write answers 503 replication_timeout (WAIT 1).
            try cluster.restart(port: master)
            try await cluster.waitUntilSettled(timeout: .seconds(30))
            // The upload acknowledged before the kill was held by the replica (WAIT 1).
            let upload = try await eventuallyValue("an upload after the failover", timeout: .seconds(20), poll: .milliseconds(200)) {
                try? await server.upload(token: family.child)
            }
            #expect(upload.version == before.version + 1)
            let event = try await Self.event(on: stream, version: upload.version)
            #expect(FamilyVersion(tag: event.id)?.generation != FamilyVersion(tag: firstID)?.generation, "the new master's generation")
            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent)
            #expect(queue.headers.first(name: "etag") == "\"\(event.id)\"")
        }
    }

    @Test func subscriptionsComeAndGoWithTheFamiliesStreams() async throws {
        let cluster = try await ClusterGroup()
        try await TestServer.run(configure: try Self.configure(cluster, channels: .sharded)) { server in
            let families = try await Self.families(server, cluster, count: 9)
            var streams: [SSETestStream] = []
            for family in families {
                let stream = try await server.openedStream(token: family.parent)
                streams.append(stream)
            }
            for family in families { #expect(try Self.shardSubscribers(cluster, family) == 1) }
            for stream in streams { stream.close() }
            try await eventually("every family unsubscribed", timeout: .seconds(5), poll: .milliseconds(100)) {
                try families.allSatisfy { try Self.shardSubscribers(cluster, $0) == 0 }
            }
        }
    }
}
