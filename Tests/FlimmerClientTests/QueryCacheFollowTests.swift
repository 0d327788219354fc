import FlimmerClient
import FlimmerTestSupport
import Foundation
import Server
import Testing

/// Which queries a `QueryCache` refetches for which stream event: the key of an invalidate,
/// everything on reset and on reconnect.
@Suite("QueryCache following a live stream")
struct QueryCacheFollowTests {
    /// Two queries over the same resource under different keys: the cache only knows keys.
    private static func queries(_ server: TestServer) -> (queue: Query<QueueBody>, profile: Query<QueueBody>) {
        let url = server.baseURL + "/api/content/queue"
        return (Query(key: "contentQueue", url: url, as: QueueBody.self), Query(key: "profile", url: url, as: QueueBody.self))
    }

    private static func isFresh(_ state: QueryState<QueueBody>) -> Bool {
        if case .fresh = state { true } else { false }
    }

    private static func freshCount(_ recorder: Recorder<QueryState<QueueBody>>) async -> Int {
        await recorder.elements.filter(isFresh).count
    }

    /// Both queries followed through `cache`, each fresh once: the recorders and where their
    /// first fresh state is.
    private struct BothFresh {
        let queue: Recorder<QueryState<QueueBody>>
        let profile: Recorder<QueryState<QueueBody>>
        let queueFirst: Int
        let profileFirst: Int

        static func start(_ cache: QueryCache, _ server: TestServer) async throws -> BothFresh {
            let (queue, profile) = QueryCacheFollowTests.queries(server)
            let queueStates = await Recorder.start(await cache.states(for: queue))
            let profileStates = await Recorder.start(await cache.states(for: profile))
            return BothFresh(
                queue: queueStates,
                profile: profileStates,
                queueFirst: try await queueStates.waitFor("the queue", QueryCacheFollowTests.isFresh),
                profileFirst: try await profileStates.waitFor("the profile", QueryCacheFollowTests.isFresh)
            )
        }

        /// Waits for a second fresh state of each query.
        func bothRefetched() async throws {
            try await queue.waitFor("the queue again", from: queueFirst + 1, QueryCacheFollowTests.isFresh)
            try await profile.waitFor("the profile again", from: profileFirst + 1, QueryCacheFollowTests.isFresh)
        }

        func stop() async {
            await queue.stop()
            await profile.stop()
        }
    }

    @Test(arguments: ClientTransport.allCases) func anInvalidateRefetchesOnlyTheQueryItNames(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let service = try await family.serviceToken()
            let cache = QueryCache(token: family.parent, transport: via.transport)
            let both = try await BothFresh.start(cache, server)
            let (queueStates, profileStates, first) = (both.queue, both.profile, both.profileFirst)

            let stream = EventStream(url: server.baseURL + "/api/events", token: family.parent, transport: via.transport)
            let following = cache.follow(stream)
            // The cache does not say when its stream is open, and an invalidate sent before that
            // is not caught up (catch-up covers the queue only): send until one arrives.
            try await eventually("the profile to be refetched", timeout: .seconds(10), poll: .milliseconds(100)) {
                let response = try await server.request(
                    .POST,
                    "/api/invalidate",
                    token: service,
                    body: #"{"family":"\#(family)","key":"profile","reason":"renamed"}"#
                )
                #expect(response.status == 200)
                return await Self.freshCount(profileStates) >= 2
            }
            try await profileStates.waitFor("the profile again", from: first + 1, Self.isFresh)
            #expect(await Self.freshCount(queueStates) == 1, "an invalidate of profile does not refetch the queue")
            following.cancel()
            await both.stop()
        }
    }

    @Test(arguments: ClientTransport.allCases) func aResetRefetchesEveryQuery(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let cache = QueryCache(token: family.parent, transport: via.transport)
            let both = try await BothFresh.start(cache, server)
            let before = await cache.statistics.requests

            // A Last-Event-ID of another epoch: the gateway answers with event: reset.
            let stream = EventStream(
                url: server.baseURL + "/api/events",
                token: family.parent,
                configuration: .init(lastEventID: "0000000000000000-0"),
                transport: via.transport
            )
            let following = cache.follow(stream)
            try await both.bothRefetched()
            #expect(await cache.statistics.requests == before + 2)
            following.cancel()
            await both.stop()
        }
    }

    @Test(arguments: ClientTransport.allCases) func aReconnectRefetchesEveryQuery(via: ClientTransport) async throws {
        try await TestServer.run(configure: {
            $0.hub.heartbeatInterval = .seconds(120)
            $0.hub.retryMilliseconds = 200
        }) { server in
            let family = try await server.family()
            let cache = QueryCache(token: family.parent, transport: via.transport)
            let both = try await BothFresh.start(cache, server)

            // Nothing is published; the only cause of a refetch is the idle drop and its reconnect.
            let stream = EventStream(
                url: server.baseURL + "/api/events",
                token: family.parent,
                // Long enough that the parallel suite on 2 cores does not starve a connection of
                // its opening before the timeout (500 ms once saw no reconnect finish in 10 s).
                configuration: .init(idleTimeout: .milliseconds(1500)),
                transport: via.transport
            )
            let following = cache.follow(stream)
            try await both.bothRefetched()
            #expect(await cache.statistics.notModified >= 2, "revalidations of unchanged data are 304s")
            following.cancel()
            await both.stop()
        }
    }
}
