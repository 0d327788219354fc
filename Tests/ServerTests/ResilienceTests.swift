import ContentQueue
import FlimmerTestSupport
import Foundation
import Prometheus
import RedisClient
import Server
import Testing

/// Outages against redis-server processes that each test starts, kills and restarts on a
/// port of its own. Serialized: they time failures and must not starve each other of CPU.
@Suite("Redis outages, dead subscriptions, slow clients", .serialized)
struct ResilienceTests {
    @Test func apiFailsFastWhileRedisIsDownAndRecoversByItself() async throws {
        let redis = try RedisProcess(persistent: true)
        try await TestServer.run(configure: { $0.redis = redis.configuration }) { server in
            let family = try await server.family()
            let before = try await server.upload(token: family.child)
            redis.kill9()
            let start = ContinuousClock.now
            let down = try await server.request(.POST, "/api/content/upload", token: family.child, body: #"{"title":"x"}"#)
            #expect(down.status == 503)
            #expect(down.errorCode == "redis_unavailable")
            #expect(ContinuousClock.now - start < .seconds(2))
            try await eventually("readiness to turn false", timeout: .seconds(10)) { try await server.request(.GET, "/health/ready").status == 503 }
            try redis.start()
            // While Redis was down the client backed off (up to 2 s) between connects, failing at
            // once meanwhile; within that backoff it connects again by itself. A 503 wrote nothing.
            var after: (id: String, version: Int)?
            try await eventually("an upload to succeed again", timeout: .seconds(10)) {
                do {
                    after = try await server.upload(token: family.child, title: "after")
                    return true
                } catch let failure as TestFailure where failure.description.contains("503") {
                    return false
                }
            }
            #expect(after?.version == before.version + 1)
            try await eventually("readiness to come back", timeout: .seconds(10)) { try await server.request(.GET, "/health/ready").status == 200 }
        }
    }

    /// The server drops the subscription's connection (CLIENT KILL TYPE pubsub, as an operator or
    /// a proxy may): the gateway subscribes again by itself and catches up what it missed.
    @Test func aKilledSubscriptionIsMadeAgainAndCatchesUp() async throws {
        let redis = try RedisProcess(persistent: false)
        try await TestServer.run(configure: {
            $0.redis = redis.configuration
            $0.subscriber.initialBackoff = .milliseconds(500)
        }) { server in
            let family = try await server.family()
            let stream = try await server.openStream(token: family.parent)
            defer { stream.close() }
            try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
            let subscriptions = server.server.subscriber.subscriptionCount
            let missed = try await withTestStore(configuration: redis.configuration) { store, client in
                #expect(try await client.send(RedisCommand("CLIENT", "KILL", "TYPE", "pubsub")).int == 1)
                return try await store.upload(family: family.id, child: UserID("kid")!, draft: ContentDraft(title: "while away"))
            }
            let event = try await stream.nextEvent(timeout: .seconds(10))
            #expect(event.id == missed.familyVersion.tag)
            try await eventually("the subscription to be made again") { server.server.subscriber.subscriptionCount == subscriptions + 1 }
            #expect(server.server.subscriber.isSubscribed)
        }
    }

    @Test func aStalePooledConnectionIsRetriedOnceAfterARestart() async throws {
        let redis = try RedisProcess(persistent: false)
        var configuration = redis.configuration
        configuration.poolSize = 1
        try await withTestRedis(configuration: configuration) { client in
            #expect(try await client.send(RedisCommand("PING")) == .simpleString("PONG"))
            try redis.restart()
            #expect(try await client.send(RedisCommand("PING")) == .simpleString("PONG"))
            #expect(client.connectionsMade == 2)
        }
    }

    /// Events published while the gateway had no subscription are lost to pub/sub; after it
    /// subscribes again it re-reads the versions of its open families and catches them up.
    @Test func afterResubscribingStreamsBehindAreCaughtUp() async throws {
        let redis = try RedisProcess(persistent: true)
        try await TestServer.run(configure: {
            $0.redis = redis.configuration
            // A long first backoff leaves a window in which Redis is back but the gateway is not.
            $0.subscriber.initialBackoff = .seconds(2)
        }) { server in
            let family = try await server.family()
            // Puts a connection in the API pool, which the restart then breaks.
            try await server.upload(token: family.child, title: "before")
            let stream = try await server.openStream(token: family.parent)
            defer { stream.close() }
            try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
            let opening = stream.lastEventID
            let subscriptions = server.server.subscriber.subscriptionCount
            try redis.restart()
            let missed = try await withTestStore(configuration: redis.configuration) { store, _ in
                try await store.upload(family: family.id, child: UserID("kid")!, draft: ContentDraft(title: "while away"))
            }
            #expect(server.server.subscriber.subscriptionCount == subscriptions)
            // The "before" upload's own event may still come first, under the opening id.
            let event = try await stream.nextEvent(timeout: .seconds(10), skippingID: opening)
            #expect(event.type == "invalidate")
            #expect(event.data.contains(#""reason":"resync""#))
            #expect(event.id == missed.familyVersion.tag)
            #expect(server.server.subscriber.subscriptionCount == subscriptions + 1)
            // The pool finds its connection broken on the next use and replaces it.
            try await server.upload(token: family.child, title: "after")
            // As Prometheus scrapes it, over HTTP.
            let metrics = try await server.request(.GET, "/metrics").text
            #expect(MetricsTests.value(of: #"flimmer_redis_reconnects_total{connection="subscriber"}"#, in: metrics) == 1)
            #expect((MetricsTests.value(of: #"flimmer_redis_reconnects_total{connection="pool"}"#, in: metrics) ?? 0) >= 1)
        }
    }

    @Test func whenRedisLosesItsDataEveryStreamGetsReset() async throws {
        let redis = try RedisProcess(persistent: false)
        try await TestServer.run(configure: { $0.redis = redis.configuration }) { server in
            let family = try await server.family()
            try await server.upload(token: family.child)
            let streams = [try await server.openStream(token: family.parent), try await server.openStream(token: family.child)]
            defer { for stream in streams { stream.close() } }
            for stream in streams { try await stream.waitUntil("the opening id") { $0.lastEventID != nil } }
            let openings = streams.map(\.lastEventID)
            let oldEpoch = try #require(streams[0].lastEventID?.split(separator: "-").first)
            try redis.restart()
            for (stream, opening) in zip(streams, openings) {
                // The upload's own event may still come first, under the opening id.
                let event = try await stream.nextEvent(timeout: .seconds(10), skippingID: opening)
                #expect(event.type == "reset")
                #expect(!event.id.hasPrefix(String(oldEpoch)))
                #expect(event.id.hasSuffix("-0"))
            }
        }
    }

    /// SIGSTOP keeps the subscription's TCP connection open but silent: only the probe can
    /// tell. Readiness turns false; after SIGCONT the gateway subscribes again by itself.
    @Test func aSilentSubscriptionIsDetectedByItsProbeAndReplaced() async throws {
        let redis = try RedisProcess(persistent: false)
        try await TestServer.run(configure: {
            $0.redis = redis.configuration
            $0.subscriber.probeInterval = .milliseconds(200)
            $0.subscriber.probeTimeout = .milliseconds(600)
        }) { server in
            let family = try await server.family()
            redis.pause()
            try await eventually("readiness to turn false", timeout: .seconds(10)) {
                !server.server.subscriber.isSubscribed
            }
            #expect(server.server.subscriber.probesLost >= 1)
            #expect(try await server.request(.GET, "/health/ready").status == 503)
            redis.resume()
            try await eventually("the subscription to come back", timeout: .seconds(10)) { server.server.subscriber.isSubscribed }
            let stream = try await server.openStream(token: family.parent)
            defer { stream.close() }
            try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
            let upload = try await server.upload(token: family.child)
            #expect(try await stream.nextEvent().data.contains(#""version":\#(upload.version)"#))
        }
    }

    /// The last safety net: a version written without its event (a buggy publisher, a lost
    /// message) reaches streams at the next periodic re-check.
    @Test func thePeriodicRecheckCatchesAVersionThatWasNeverPublished() async throws {
        try await TestServer.run(configure: { $0.hub.recheckInterval = .milliseconds(200) }) { server in
            let family = try await server.family()
            let stream = try await server.openStream(token: family.parent)
            defer { stream.close() }
            try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
            try await withTestRedis { redis in
                try await redis.send(RedisCommand("SET", ContentKeys(family: family.id).version, 7))
            }
            let event = try await stream.nextEvent()
            #expect(event.data.contains(#""version":7"#))
            #expect(event.data.contains(#""reason":"resync""#))
        }
    }

    /// A client that stops reading is closed once a write stays blocked past the limit, and
    /// never grows the gateway's memory meanwhile; other streams of the family go on.
    @Test func aClientThatStopsReadingIsClosedAndOthersGoOn() async throws {
        try await TestServer.run(configure: { $0.hub.maxWriteStall = .milliseconds(400) }) { server in
            let family = try await server.family()
            let healthy = try await server.openStream(token: family.parent)
            defer { healthy.close() }
            try await healthy.waitUntil("the opening id") { $0.lastEventID != nil }
            let baseline = server.server.hub.streamCount
            let stalled = try RawConnection.stalledStream(port: server.port, token: family.parent)
            try await eventually("the stalled stream to register", timeout: .seconds(10)) { server.server.hub.streamCount == baseline + 1 }
            // Other publishers may add fields: 64 KiB of padding per event fills any socket buffer quickly.
            let padding = String(repeating: "x", count: 64 * 1024)
            try await withTestRedis { redis in
                for version in 1...200 {
                    let payload = #"{"key":"contentQueue","family":"\#(family.id.rawValue)","version":\#(version),"pad":"\#(padding)"}"#
                    try await redis.send(RedisCommand("PUBLISH", "invalidate:contentQueue", payload))
                }
            }
            try await eventually("the stalled stream to be closed", timeout: .seconds(10)) { server.server.hub.streamCount == baseline }
            #expect(server.server.hub.counters.slowClientCloses >= 1)
            let closed = MetricsTests.value(of: "flimmer_slow_client_closes_total", in: try await server.request(.GET, "/metrics").text)
            #expect((closed ?? 0) >= 1)
            #expect(stalled.serverClosed(timeout: .seconds(5)))
            try await healthy.waitUntil(timeout: .seconds(10), "the healthy stream to reach version 200") {
                $0.events.last?.data.contains(#""version":200,"#) == true
            }
        }
    }

    /// With the shipped redis.conf (AOF, appendfsync always) an acknowledged upload is on disk
    /// before Redis replies, so it survives SIGKILL of redis-server.
    @Test func acknowledgedUploadsSurviveKill9OfRedis() async throws {
        let redis = try RedisProcess(persistent: true)
        try await withTestStore(configuration: redis.configuration) { store, _ in
            let family = TestEnvironment.uniqueFamily()
            var ids: [String] = []
            for index in 0..<50 {
                ids.append(try await store.upload(family: family, child: UserID("kid")!, draft: ContentDraft(title: "v\(index)")).item.id)
            }
            redis.kill9()
            try redis.start()
            let snapshot = try await store.queue(family: family)
            #expect(snapshot.items.map(\.id) == ids)
            #expect(snapshot.version == 50)
        }
    }

    /// A client that reconnects to another gateway with its Last-Event-ID is caught up there.
    @Test func reconnectingToAnotherGatewayCatchesUp() async throws {
        try await TestServer.run { gatewayA in
            try await TestServer.run { gatewayB in
                let family = try await gatewayA.family()
                let first = try await gatewayA.openStream(token: family.parent)
                try await first.waitUntil("the opening id") { $0.lastEventID != nil }
                let seen = try #require(first.lastEventID)
                first.close()
                let missed = try await gatewayA.upload(token: family.child)
                let second = try await gatewayB.openStream(token: family.parent, lastEventID: seen)
                defer { second.close() }
                let event = try await second.nextEvent()
                #expect(event.isCatchUp(to: missed.version))
            }
        }
    }
}

@Suite("Graceful shutdown")
struct GracefulShutdownTests {
    /// An upload that is waiting on Redis when shutdown begins still completes and is acknowledged.
    @Test func inFlightMutationsFinishDuringShutdown() async throws {
        let redis = try RedisProcess(persistent: false)
        let family = TestEnvironment.uniqueFamily()
        let outcome = try await TestServer.run(configure: {
            $0.redis = redis.configuration
            $0.redis.commandTimeout = .seconds(5)
        }) { server in
            let child = try await server.token(family: family, user: "kid", role: .child)
            try await server.upload(token: child, title: "before")
            redis.pause()
            let upload = Task { try await server.request(.POST, "/api/content/upload", token: child, body: #"{"title":"in flight"}"#) }
            try await Task.sleep(for: .milliseconds(300))
            await server.beginShutdown()
            try await Task.sleep(for: .milliseconds(300))
            redis.resume()
            return try await upload.value
        }
        #expect(outcome.status == 200)
        try await withTestRedis(configuration: redis.configuration) { client throws in
            #expect(try await client.send(RedisCommand("GET", ContentKeys(family: family).version)).int == 2)
        }
    }
}
