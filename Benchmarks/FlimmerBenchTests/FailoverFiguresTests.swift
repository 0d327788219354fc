import Testing

@testable import flimmer_bench

/// What the report says followed each master kill, from the acknowledgements and what the clients saw.
@Suite("Chaos: failover figures")
struct FailoverFiguresTests {
    private static func ack(answered: Double, attemptSent: Double, generation: String?, replayed: Bool = false) -> Ack {
        Ack(
            family: "chaos-1",
            id: "x",
            status: "pending",
            version: 1,
            sent: attemptSent - 1,
            answered: answered,
            gateway: "A",
            generation: generation,
            replayed: replayed,
            attempts: 2,
            attemptSent: attemptSent
        )
    }

    private static func client(_ index: Int, seen: [String: Double]) -> ClientSnapshot {
        ClientSnapshot(index: index, family: "chaos-1", role: "parent", gateway: "A", firstSeen: seen)
    }

    @Test func theFirstAcknowledgementAfterTheKillAndTheLastStreamOnTheNewGenerationAreTimedFromTheKill() {
        let kill = FaultLedger.MasterKillRecord(node: "node-1", port: 17000, killedAt: 10, failoverAt: 12.3, newMasterPort: 17001, settledAt: 25)
        let acks = [
            Self.ack(answered: 10.05, attemptSent: 9.9, generation: "g0"),  // sent before the kill
            Self.ack(answered: 13.5, attemptSent: 13.4, generation: "g0", replayed: true),  // the first after it: a replay
            Self.ack(answered: 14.0, attemptSent: 13.9, generation: "g1"),
            Self.ack(answered: 14.2, attemptSent: 14.1, generation: "g1"),
        ]
        let clients = [Self.client(0, seen: ["g0": 1, "g1": 12.9]), Self.client(1, seen: ["g0": 1, "g1": 14.5])]
        let figures = FailoverFigures.compute([kill], acks: acks, clients: clients)
        #expect(figures.count == 1)
        #expect(figures[0].firstAck.map { abs($0 - 3.5) < 1e-9 } == true, "the replay, 3.5 s after the kill")
        #expect(figures[0].generation == "g1", "replays carry the generation of their first commit")
        #expect(figures[0].streamsFollowed.map { abs($0 - 4.5) < 1e-9 } == true)
        #expect(figures[0].streamsMissing == 0)
        let line = figures[0].line(1)
        #expect(line.hasPrefix("kill 1: master node-1 :17000 at 10.0 s; a Sentinel named :17001 after 2.3 s; first write acknowledged after 3.5 s"))
        #expect(line.hasSuffix("every stream on the new generation g1 after 4.5 s; node-1 rejoined, topology settled after 15.0 s"))
    }

    @Test func aStreamThatNeverSawTheNewGenerationLeavesItUnmeasuredAndIsCounted() {
        let kill = FaultLedger.MasterKillRecord(node: "node-2", port: 17001, killedAt: 20)
        let acks = [Self.ack(answered: 24, attemptSent: 23, generation: "g2")]
        let clients = [Self.client(0, seen: ["g2": 22]), Self.client(1, seen: ["g1": 3])]
        let figures = FailoverFigures.compute([kill], acks: acks, clients: clients)[0]
        #expect(figures.streamsFollowed == nil)
        #expect(figures.streamsMissing == 1)
        #expect(figures.line(2).contains("NO failover seen"))
        #expect(figures.line(2).contains("1 streams never saw the new generation g2"))
        #expect(figures.line(2).hasSuffix("the topology did NOT settle"))
    }

    @Test func withoutAnAcknowledgementAfterTheKillNothingIsTimed() {
        let kill = FaultLedger.MasterKillRecord(node: "node-1", port: 17000, killedAt: 30)
        let figures = FailoverFigures.compute([kill], acks: [Self.ack(answered: 29, attemptSent: 28, generation: "g0")], clients: [])[0]
        #expect(figures.firstAck == nil)
        #expect(figures.generation == nil)
        #expect(figures.line(1).contains("no write acknowledged after it"))
    }
}
