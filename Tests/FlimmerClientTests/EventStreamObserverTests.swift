import FlimmerTestSupport
import Testing

@testable import FlimmerClient

/// What `EventStreamConfiguration.observer` reports besides the elements, and the reading that
/// keeps pace with the consumer.
@Suite("EventStream: observer and pacing")
struct EventStreamObserverTests {
    @Test(arguments: ClientTransport.allCases) func theObserverSeesTheOpeningIDHeartbeatsAndTheShutdownFarewell(via: ClientTransport) async throws {
        try await TestServer.run(configure: { $0.hub.heartbeatInterval = .milliseconds(200) }) { server in
            let family = TestEnvironment.uniqueFamily()
            let parent = try await server.token(family: family, user: "mom", role: .parent)
            let log = ObservationLog()
            let stream = EventStream(
                url: server.baseURL + "/api/events",
                token: parent,
                configuration: .init(observer: log.observer),
                transport: via.transport
            )
            let recorder = await Recorder.start(stream)
            // A new family is at version 0: the gateway's first line is `id: <epoch>-0`, an id without an event.
            try await log.waitFor("the opening id") { if case .lastEventID(let id) = $0 { id.hasSuffix("-0") } else { false } }
            try await log.waitFor("a heartbeat") { if case .comment("heartbeat") = $0 { true } else { false } }
            #expect(!(await recorder.elements.contains { if case .event = $0 { true } else { false } }), "the opening id is not an event")

            await server.beginShutdown()
            let farewell = try await log.waitFor("the shutdown comment") {
                if case .comment(let text) = $0 { text.hasPrefix("server shutting down") } else { false }
            }
            let ended = try await log.waitFor("the end of the connection") { if case .connectionEnded = $0 { true } else { false } }
            #expect(farewell < ended)
            if case .connectionEnded(let error) = log.all[ended] {
                #expect(error == nil, "the server closed the stream: \(String(describing: error))")
            }
            await recorder.stop()
        }
    }

    @Test func aReadsObservationsAreItsCommentsAndEachChangeOfTheLastEventID() {
        var parser = EventStreamParser(lastEventID: "e-0")
        let text = "retry: 10\n: hello\n\nid: e-1\ndata: x\n\nid: e-1\ndata: y\n\nid: e-2\n\n:\n\n"
        let items = parser.items(Array(text.utf8))
        let observed = EventStreamObservation.of(items, previousID: "e-0", lastID: parser.lastEventID).map { observation -> String in
            switch observation {
            case .comment(let text): "comment \(text)"
            case .lastEventID(let id): "id \(id)"
            case .connectionEnded: "ended"
            }
        }
        // The second e-1 does not move the id; e-2 comes from a line without data, told at the
        // read's end; an empty comment is still a comment.
        #expect(observed == ["comment hello", "id e-1", "comment ", "id e-2"])
        #expect(EventStreamObservation.of([], previousID: "e-2", lastID: "e-2").isEmpty)
    }

    // AsyncHTTPClient only. URLSessionTransport pauses a body by suspending its task, on Apple
    // platforms only: Foundation on Linux restarts a resumed transfer as a new request, so
    // there it reads as fast as the server writes (see URLSessionResponse).
    @Test func aConsumerThatStopsTakingElementsStopsTheReading() async throws {
        let server = try FloodingServer()
        defer { server.stop() }
        let stream = EventStream(url: "http://127.0.0.1:\(server.port)/", token: "any", transport: ClientTransport.asyncHTTPClient.transport)
        var iterator = stream.makeAsyncIterator()
        var ids: [String] = []
        while ids.isEmpty {
            guard let element = try await iterator.next() else { throw TestFailure("the stream ended") }
            if case .event(let event) = element { ids.append(event.id) }
        }

        // Nothing is taken now: once the socket buffers are full, the server cannot write on.
        var last = server.bytesWritten
        var stableSince = ContinuousClock.now
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now - stableSince < .seconds(1), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            let now = server.bytesWritten
            if now != last { (last, stableSince) = (now, ContinuousClock.now) }
        }
        #expect(ContinuousClock.now - stableSince >= .seconds(1), "the server wrote on (\(last) bytes) while the consumer took nothing")

        // Taking elements again reads again: every event, in order. 8 MB of them: more than the
        // socket buffers held when the writes stopped (about 4 MB here).
        while ids.count < 8000 {
            guard let element = try await iterator.next() else { throw TestFailure("the stream ended") }
            if case .event(let event) = element { ids.append(event.id) }
        }
        #expect(ids == (1...8000).map(String.init))
        #expect(server.bytesWritten > last)
    }
}
