import AsyncHTTPClient
import ContentQueue
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
}
