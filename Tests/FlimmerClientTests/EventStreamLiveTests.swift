import AsyncHTTPClient
import FlimmerClient
import FlimmerTestSupport
import Foundation
import Server
import Testing

@Suite("EventStream against a live gateway and a silent port")
struct EventStreamLiveTests {
    private static func isOpen(_ element: EventStreamElement) -> Bool {
        if case .state(.open) = element { return true }
        return false
    }

    private static func isReconnecting(_ element: EventStreamElement) -> Bool {
        if case .state(.reconnecting) = element { return true }
        return false
    }

    private static func payload(_ event: ServerSentEvent) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any] else {
            throw TestFailure("event data is not a JSON object: \(event.data)")
        }
        return object
    }

    @Test(arguments: ClientTransport.allCases) func receivesAnUploadsInvalidate(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let stream = EventStream(url: server.baseURL + "/api/events", token: family.parent, transport: via.transport)
            let recorder = await Recorder.start(stream)
            let opened = try await recorder.waitFor("open", Self.isOpen)
            #expect(await recorder.elements.first == .state(.connecting))
            #expect(await recorder.elements[opened] == .state(.open(resumedFrom: nil)), "a first connection sends no Last-Event-ID")

            let upload = try await server.upload(token: family.child)
            let index = try await recorder.waitFor("an event") { if case .event = $0 { true } else { false } }
            guard case .event(let event) = await recorder.elements[index] else { throw TestFailure("not an event") }
            #expect(event.type == "invalidate")
            #expect(event.id.hasSuffix("-\(upload.version)"))
            let payload = try Self.payload(event)
            #expect(payload["key"] as? String == "contentQueue")
            #expect(payload["contentId"] as? String == upload.id)
            #expect(payload["reason"] as? String == "uploaded")
            await recorder.stop()
        }
    }

    @Test(arguments: ClientTransport.allCases) func aSilentConnectionIsDroppedAndTheReconnectCatchesUpWithLastEventID(
        via: ClientTransport
    ) async throws {
        try await TestServer.run(configure: {
            // No heartbeat within the test, so the client's idle timeout is what drops the connection.
            $0.hub.heartbeatInterval = .seconds(120)
            // The reconnect delay leaves time for an upload while the client is away.
            $0.hub.retryMilliseconds = 1000
        }) { server in
            let family = try await server.family()
            let stream = EventStream(
                url: server.baseURL + "/api/events",
                token: family.parent,
                // Long enough that a loaded machine (the whole suite runs in parallel on 2 cores)
                // delivers the opening and the first event within it: 700 ms once did not.
                configuration: .init(idleTimeout: .seconds(2)),
                transport: via.transport
            )
            let recorder = await Recorder.start(stream)
            try await recorder.waitFor("open", Self.isOpen)
            let first = try await server.upload(token: family.child)
            let seen = try await recorder.waitFor("the live invalidate") { if case .event = $0 { true } else { false } }

            // Silence for 2 s: the client gives the connection up.
            let dropped = try await recorder.waitFor("reconnecting", from: seen, timeout: .seconds(5), Self.isReconnecting)
            guard case .state(.reconnecting(let delay)) = await recorder.elements[dropped] else { throw TestFailure("not reconnecting") }
            #expect(delay >= .milliseconds(1000) && delay <= .milliseconds(1500), "the first delay starts from the server's retry: 1000")
            // The client is away for at least a second; this upload happens in between.
            let missed = try await server.upload(token: family.child, title: "While away")

            let reopened = try await recorder.waitFor("open again", from: dropped, Self.isOpen)
            guard case .state(.open(let resumedFrom)) = await recorder.elements[reopened] else { throw TestFailure("not open") }
            guard case .event(let live) = await recorder.elements[seen] else { throw TestFailure("not an event") }
            #expect(resumedFrom == live.id, "the reconnect sent the last event id it had seen")
            #expect(live.id.hasSuffix("-\(first.version)"))
            let caughtUp = try await recorder.waitFor("the catch-up", from: reopened) { if case .event = $0 { true } else { false } }
            guard case .event(let event) = await recorder.elements[caughtUp] else { throw TestFailure("not an event") }
            #expect(event.type == "invalidate")
            // "catchup" (not "uploaded") proves the server got Last-Event-ID <epoch>-<first version>.
            let payload = try Self.payload(event)
            #expect(payload["reason"] as? String == "catchup")
            #expect(payload["version"] as? Int == missed.version)
            #expect(event.id.hasSuffix("-\(missed.version)"))
            #expect(missed.version == first.version + 1)
            await recorder.stop()
        }
    }

    @Test(arguments: ClientTransport.allCases) func aStartingLastEventIDCatchesUpOnTheFirstConnection(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent)
            let etag = try #require(queue.headers.first(name: "ETag"))
            let upload = try await server.upload(token: family.child)

            let stream = EventStream(
                url: server.baseURL + "/api/events",
                token: family.parent,
                configuration: .init(lastEventID: etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))),
                transport: via.transport
            )
            let recorder = await Recorder.start(stream)
            let index = try await recorder.waitFor("the catch-up") { if case .event = $0 { true } else { false } }
            guard case .event(let event) = await recorder.elements[index] else { throw TestFailure("not an event") }
            #expect(try Self.payload(event)["reason"] as? String == "catchup")
            #expect(event.id.hasSuffix("-\(upload.version)"))
            await recorder.stop()
        }
    }

    @Test(arguments: ClientTransport.allCases) func aServerThatGoesAwayIsRetriedWithGrowingDelays(via: ClientTransport) async throws {
        try await TestServer.run(configure: { $0.hub.retryMilliseconds = 200 }) { server in
            let family = try await server.family()
            // AsyncHTTPClient retries a refused connect until its connect timeout; a short one
            // keeps each attempt against the stopped gateway brief.
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: .init(timeout: .init(connect: .milliseconds(200)))
            )
            defer { _ = client.shutdown() }
            let stream = EventStream(url: server.baseURL + "/api/events", token: family.parent, transport: via.transport(over: client))
            let recorder = await Recorder.start(stream)
            try await recorder.waitFor("open", Self.isOpen)
            // The gateway's graceful shutdown ends every stream; later attempts find no gateway.
            await server.beginShutdown()
            let first = try await recorder.waitFor("reconnecting", Self.isReconnecting)
            let second = try await recorder.waitFor("reconnecting again", from: first + 1, Self.isReconnecting)
            try await recorder.waitFor("reconnecting a third time", from: second + 1, Self.isReconnecting)
            await recorder.stop()
            let delays = await recorder.elements.compactMap { element -> Duration? in
                if case .state(.reconnecting(let delay)) = element { delay } else { nil }
            }
            #expect(delays.count >= 3)
            #expect(delays[0] >= .milliseconds(200) && delays[0] <= .milliseconds(300))
            #expect(delays[1] >= .milliseconds(400) && delays[1] <= .milliseconds(600))
            #expect(delays[2] >= .milliseconds(800) && delays[2] <= .milliseconds(1200))
        }
    }

    /// The gateway ends a stream when its token stops being accepted; the reconnect asks the
    /// provider again and goes on with the fresh token, with no event lost.
    @Test(arguments: ClientTransport.allCases) func aStreamEndedAtItsTokensExpiryGoesOnWithTheProvidersNextToken(via: ClientTransport) async throws {
        try await TestServer.run(configure: {
            // The sweep runs every quarter of the stall limit; a short retry keeps the test short.
            $0.hub.maxWriteStall = .seconds(1)
            $0.hub.retryMilliseconds = 100
        }) { server in
            let family = try await server.family()
            // The first token expired 28 s ago: accepted for about 2 s more (30 s of skew).
            let tokens = TokenSequence([
                try await family.token(user: "mom", role: .parent, ttl: -28),
                family.parent,
            ])
            let stream = EventStream(url: server.baseURL + "/api/events", tokenProvider: { await tokens.next() }, transport: via.transport)
            let recorder = await Recorder.start(stream)
            let first = try await recorder.waitFor("open", Self.isOpen)
            let reopened = try await recorder.waitFor("open again with the next token", from: first + 1, Self.isOpen)
            #expect(await tokens.calls == 2)
            let upload = try await server.upload(token: family.child)
            let index = try await recorder.waitFor("the upload's invalidate", from: reopened) { if case .event = $0 { true } else { false } }
            guard case .event(let event) = await recorder.elements[index] else { throw TestFailure("not an event") }
            #expect(event.id.hasSuffix("-\(upload.version)"))
            await recorder.stop()
        }
    }

    @Test(arguments: ClientTransport.allCases) func aRefusedTokenEndsTheSequenceWithoutRetrying(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let stream = EventStream(url: server.baseURL + "/api/events", token: "not-a-token", transport: via.transport)
            let error = await #expect(throws: EventStreamError.self) {
                for try await _ in stream {}
            }
            #expect(error?.code == .rejected)
            #expect(error?.status == 401)
            #expect(error?.serverError?.code == "unauthorized", "the gateway's JSON error body is kept")
        }
    }

    @Test(arguments: ClientTransport.allCases) func aServerThatNeverAnswersTheRequestCountsAsDead(via: ClientTransport) async throws {
        let listener = try SilentListener()
        defer { listener.stop() }
        let log = ObservationLog()
        // TestHTTP.client's own read timeout is 30 s; only the stream's idle timeout can act within the wait below.
        let stream = EventStream(
            url: "http://127.0.0.1:\(listener.port)/api/events",
            token: "any",
            configuration: .init(idleTimeout: .milliseconds(300), defaultRetry: .milliseconds(100), observer: log.observer),
            transport: via.transport
        )
        let recorder = await Recorder.start(stream)
        try await recorder.waitFor("reconnecting", timeout: .seconds(3), Self.isReconnecting)
        await recorder.stop()
        let elements = await recorder.elements
        #expect(elements.first == .state(.connecting))
        #expect(!elements.contains(where: Self.isOpen))
        // The observer is told why the attempt ended.
        let ended = try await log.waitFor("the end of the attempt") { if case .connectionEnded = $0 { true } else { false } }
        guard case .connectionEnded(let error) = log.all[ended] else { throw TestFailure("not an end") }
        #expect((error as? EventStreamError)?.code == .idleTimeout)
    }
}
