import AsyncHTTPClient
import ContentQueue
import FlimmerClient
import NIOConcurrencyHelpers
import Testing

@testable import flimmer_bench

/// The chaos client on FlimmerClient's EventStream, against scripted servers: what it counts,
/// and where it goes when an open fails.
@Suite("Chaos: client")
struct ChaosClientTests {
    @Test func aRefusedOpenMovesToTheOtherGatewayAndEveryFigureIsCounted() async throws {
        let epoch = "0123456789abcdef"
        // B: an id line, a farewell and a close; then an event whose id went back; then silence.
        let server = try ScriptedSSEServer(bodies: [
            "retry: 50\nid: \(epoch)-7\n\n: server shutting down; reconnect with Last-Event-ID\n\n",
            "id: \(epoch)-6\nevent: invalidate\ndata: {}\n\n",
        ])
        defer { server.stop() }
        let gateways = ["http://127.0.0.1:\(try ScriptedSSEServer.refusedPort())", "http://127.0.0.1:\(server.port)"]
        let http = ChaosRun.httpClient(connections: 4)
        let client = ChaosClient(index: 3, family: "chaos-1", role: "parent", token: "t", gateway: 0)
        let task = Task { await client.run(gateways: gateways, http: http, random: ChaosRandom(seed: 1)) }

        // The third stream is open once the client took its `.open`, not when the server accepted it.
        let done = await ProcessControl.wait(upTo: .seconds(10)) { client.snapshot().opens >= 3 && client.snapshot().events == 1 }
        task.cancel()
        await task.value
        try await http.shutdown()
        #expect(done, "got \(client.snapshot())")

        let seen = client.snapshot()
        #expect(seen.gateway == "B")
        #expect(seen.openFailures == 1, "A refused the first open")
        #expect(seen.lastError.hasPrefix("open on A: "))
        #expect(seen.opens == 3, "B: the first stream, the reconnect after the farewell, the one held open")
        #expect(seen.shutdownNotices == 1)
        #expect(seen.events == 1, "the id line alone is no event")
        #expect(seen.regressions == 1, "\(epoch)-6 after \(epoch)-7")
        #expect(seen.seen == FamilyVersion(epoch: epoch, version: 6))
        #expect(seen.stalls == 0)
    }

    @Test func aPausedClientTakesNothingUntilResumedAndCountsTheTime() async throws {
        let gate = PauseGate()
        await gate.pass()
        #expect(gate.heldSeconds == 0, "an open gate holds nobody")
        gate.close()
        let started = ContinuousClock.now
        let passed = NIOLockedValueBox(false)
        let passing = Task {
            await gate.pass()
            passed.withLockedValue { $0 = true }
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(!passed.withLockedValue { $0 }, "nothing passes a closed gate")
        gate.open()
        await passing.value
        // Held from when the consumer reached the gate (it may start late on a busy machine)
        // until it opened: more than nothing, never more than the whole wait.
        #expect(gate.heldSeconds > 0)
        #expect(gate.heldSeconds <= Double((ContinuousClock.now - started).components.seconds) + 1)
    }

    /// Across a failover the gateway resets a stream to a lower version of the new master's
    /// generation: a reset, not a regression; the time each generation was first seen is kept.
    @Test func aLowerVersionOfANewGenerationIsAResetNotARegression() async throws {
        let epoch = "0123456789abcdef"
        let (g1, g2) = ("9d1e0b6a2c4f7e31", "00000000000000aa")
        // The opening id line on a connection of its own: one read's id-only line is observed
        // only at the end of that read (EventStreamObservation.of).
        let server = try ScriptedSSEServer(bodies: [
            "retry: 50\nid: \(epoch)-\(g1)-7\n\n",
            "id: \(epoch)-\(g2)-5\nevent: reset\ndata: {}\n\nid: \(epoch)-\(g2)-4\nevent: invalidate\ndata: {}\n\n",
        ])
        defer { server.stop() }
        let http = ChaosRun.httpClient(connections: 4)
        let client = ChaosClient(index: 0, family: "chaos-1", role: "parent", token: "t", gateway: 0)
        let task = Task { await client.run(gateways: ["http://127.0.0.1:\(server.port)"], http: http, random: ChaosRandom(seed: 1)) }
        let done = await ProcessControl.wait(upTo: .seconds(10)) { client.snapshot().events == 2 }
        task.cancel()
        await task.value
        try await http.shutdown()
        #expect(done, "got \(client.snapshot())")
        let seen = client.snapshot()
        #expect(seen.resets == 1)
        #expect(seen.regressions == 1, "5 then 4 within the new generation; 7 then 5 across generations is none")
        #expect(seen.regressionNotes.count == 1)
        #expect(seen.regressionNotes.first?.hasSuffix("on A: \(epoch)-\(g2)-4 after \(epoch)-\(g2)-5") == true)
        #expect(Set(seen.firstSeen.keys) == [g1, g2])
        #expect(seen.seen == FamilyVersion(tag: "\(epoch)-\(g2)-4"))
    }

    @Test func aFailedOpenIsCountedByItsShortCause() {
        let refused = EventStreamError(.unexpectedResponse, status: 503, serverError: ServerError(code: "redis_unavailable", message: "…"))
        #expect(ChaosClient.cause(of: refused) == "503 redis_unavailable")
        #expect(ChaosClient.cause(of: EventStreamError(.unexpectedResponse, status: 502)) == "502")
        #expect(ChaosClient.cause(of: EventStreamError(.idleTimeout)) == "idle_timeout")
        #expect(ChaosClient.cause(of: ChaosProblem("connection refused")) == "network")
        #expect(ChaosClient.cause(of: nil) == "closed")
    }
}
