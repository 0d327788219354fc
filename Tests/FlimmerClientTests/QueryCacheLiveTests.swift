import AsyncHTTPClient
import FlimmerClient
import FlimmerTestSupport
import Foundation
import Server
import Testing

@Suite("QueryCache against a live gateway")
struct QueryCacheLiveTests {
    private static func queueQuery(_ server: TestServer) -> Query<QueueBody> {
        Query(key: "contentQueue", url: server.baseURL + "/api/content/queue", as: QueueBody.self)
    }

    private static func isFresh(_ state: QueryState<QueueBody>, items: Int) -> Bool {
        if case .fresh(let body) = state { body.items.count == items } else { false }
    }

    @Test(arguments: ClientTransport.allCases) func cachedAtOnceThenRevalidatedWithAnETagThatAnswers304(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let upload = try await server.upload(token: family.child)
            let cache = QueryCache(token: family.parent, transport: via.transport)
            let query = Self.queueQuery(server)

            let fetched = try await cache.value(for: query)
            #expect(fetched.items.map(\.id) == [upload.id])
            #expect(await cache.statistics == QueryCacheStatistics(requests: 1, notModified: 0, updated: 1, failures: 0))

            let recorder = await Recorder.start(await cache.states(for: query))
            // Delivered from the cache before any answer: the first state is .cached.
            try await recorder.waitFor("a state") { _ in true }
            guard case .cached(let cached) = await recorder.elements[0] else {
                throw TestFailure("the first state is not .cached: \(await recorder.elements)")
            }
            #expect(cached == fetched)
            try await recorder.waitFor("fresh") { Self.isFresh($0, items: 1) }
            #expect(await cache.statistics == QueryCacheStatistics(requests: 2, notModified: 1, updated: 1, failures: 0))
            await recorder.stop()
        }
    }

    @Test(arguments: ClientTransport.allCases) func anInvalidateFromTheStreamRefetchesTheQuery(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let cache = QueryCache(token: family.parent, transport: via.transport)
            let query = Self.queueQuery(server)
            let recorder = await Recorder.start(await cache.states(for: query))
            try await recorder.waitFor("the empty queue") { Self.isFresh($0, items: 0) }

            // The stream starts from the queue's ETag, so an upload before it is open still arrives (as catch-up).
            let etag = try #require(try await server.request(.GET, "/api/content/queue", token: family.parent).headers.first(name: "ETag"))
            let stream = EventStream(
                url: server.baseURL + "/api/events",
                token: family.parent,
                configuration: .init(lastEventID: etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))),
                transport: via.transport
            )
            let following = cache.follow(stream)
            let upload = try await server.upload(token: family.child, title: "Pushed")
            let index = try await recorder.waitFor("the uploaded item") { Self.isFresh($0, items: 1) }
            #expect(await recorder.elements[index].value?.items.first?.id == upload.id)
            #expect(await recorder.elements[index].value?.version == upload.version)
            let statistics = await cache.statistics
            #expect(statistics.updated == 2, "one fetch for the empty queue, one after the invalidate")
            following.cancel()
            await recorder.stop()
        }
    }

    @Test(arguments: ClientTransport.allCases) func concurrentAsksShareOneRequest(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            try await server.upload(token: family.child)
            let cache = QueryCache(token: family.parent, transport: via.transport)
            let query = Self.queueQuery(server)

            // Nothing cached: eight callers wait for the same first fetch.
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await cache.value(for: query).items.count } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(counts == Array(repeating: 1, count: 8))
            #expect(await cache.statistics.requests == 1)

            // Cached: eight revalidations at once are one request (a 304).
            let fetches = await withTaskGroup(of: Task<Void, Never>?.self) { group in
                for _ in 0..<8 { group.addTask { await cache.revalidate("contentQueue") } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for fetch in fetches { await fetch?.value }
            #expect(await cache.statistics == QueryCacheStatistics(requests: 2, notModified: 1, updated: 1, failures: 0))
        }
    }

    /// Each fetch asks the provider: a token refused once is replaced on the next fetch.
    @Test(arguments: ClientTransport.allCases) func aTokenProviderIsAskedForEveryFetch(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let tokens = TokenSequence(["not-a-token", family.parent])
            let cache = QueryCache(tokenProvider: { await tokens.next() }, transport: via.transport)
            let query = Self.queueQuery(server)
            let refused = await #expect(throws: QueryCacheError.self) { try await cache.value(for: query) }
            #expect(refused?.status == 401)
            #expect(try await cache.value(for: query).items.isEmpty)
            #expect(await tokens.calls == 2)
        }
    }

    @Test(arguments: ClientTransport.allCases) func aFailedFetchIsAnErrorState(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let cache = QueryCache(token: "not-a-token", transport: via.transport)
            let query = Self.queueQuery(server)
            let thrown = await #expect(throws: QueryCacheError.self) { try await cache.value(for: query) }
            #expect(thrown?.code == .unexpectedStatus)
            #expect(thrown?.status == 401)
            #expect(thrown?.key == query.key)
            #expect(thrown?.serverError?.code == "unauthorized")
            let recorder = await Recorder.start(await cache.states(for: query))
            let index = try await recorder.waitFor("an error") { if case .error = $0 { true } else { false } }
            guard case .error(let error, let lastValue) = await recorder.elements[index] else { throw TestFailure("not an error") }
            #expect((error as? QueryCacheError)?.status == 401)
            #expect(lastValue == nil)
            #expect(await cache.statistics.failures == 2)
            await recorder.stop()
        }
    }

    @Test(arguments: ClientTransport.allCases) func invalidationsDuringAFetchAddExactlyOneMoreFetch(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let cache = QueryCache(token: family.parent, transport: via.transport)
            let query = Self.queueQuery(server)
            _ = try await cache.value(for: query)

            // The running fetch may have read the state from before the change the invalidations
            // announce, so one more fetch follows it; three invalidations still make only one.
            let running = try #require(await cache.revalidate("contentQueue"))
            await cache.invalidate(key: "contentQueue")
            await cache.invalidate(key: "contentQueue")
            await cache.invalidate(key: "contentQueue")
            await running.value
            #expect(await cache.statistics == QueryCacheStatistics(requests: 3, notModified: 2, updated: 1, failures: 0))
        }
    }

    @Test(arguments: ClientTransport.allCases) func aFailedRevalidationKeepsTheLastValue(via: ClientTransport) async throws {
        // A short connect timeout: AsyncHTTPClient retries a refused connect until it runs out.
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .milliseconds(200))))
        defer { _ = client.shutdown() }
        try await TestServer.run { server in
            let family = try await server.family()
            let upload = try await server.upload(token: family.child)
            let cache = QueryCache(token: family.parent, transport: via.transport(over: client))
            let query = Self.queueQuery(server)
            _ = try await cache.value(for: query)

            // The gateway goes away; the cache still has the value and says the refresh failed.
            try await server.shutDownListener()
            let recorder = await Recorder.start(await cache.states(for: query))
            let index = try await recorder.waitFor("an error") { if case .error = $0 { true } else { false } }
            guard case .error(_, let lastValue) = await recorder.elements[index] else { throw TestFailure("not an error") }
            #expect(lastValue?.items.map(\.id) == [upload.id])
            guard case .cached = await recorder.elements[0] else { throw TestFailure("the first state is not .cached") }
            #expect(try await cache.value(for: query).items.map(\.id) == [upload.id], "value(for:) still answers from the cache")
            await recorder.stop()
        }
    }
}
