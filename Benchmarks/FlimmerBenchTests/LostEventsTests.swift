import Testing

@testable import flimmer_bench

/// The events of writes a new master lacked, judged from the promoted replica's state and the
/// runs of ids the streams heard; and event ids given to two writes.
@Suite("Chaos: events of lost writes and reused ids")
struct LostEventsTests {
    private static let old = "aaaaaaaaaaaaaaaa"
    private static let new = "bbbbbbbbbbbbbbbb"

    private static func kill(promoted: Int?, versions: [String: Int] = ["f1": 10, "f2": 5]) -> FaultLedger.MasterKillRecord {
        var record = FaultLedger.MasterKillRecord(node: "node-1", port: 7001, killedAt: 5, newMasterPort: 7002)
        record.replicas = [ReplicaState(port: 7003, generation: old, versions: versions)]
        if let promoted { record.replicas.append(ReplicaState(port: promoted, generation: old, versions: versions)) }
        return record
    }

    private static func client(_ index: Int, family: String = "f1", runs: [EventRun]) -> ClientSnapshot {
        var snapshot = ClientSnapshot(index: index, family: family, role: "parent", gateway: "A")
        snapshot.runs = runs
        return snapshot
    }

    private static func ack(_ id: String, _ status: String = "pending", family: String = "f1", generation: String?, version: Int) -> Ack {
        Ack(family: family, id: id, status: status, version: version, sent: 1, answered: 1, gateway: "A", generation: generation)
    }

    @Test func runsSplitWhereTheGenerationChanges() {
        var runs: [EventRun] = []
        for (generation, version) in [(Self.old, 3), (Self.old, 5), (Self.new, 4), (Self.new, 6)] {
            EventRun.append(generation: generation, version: version, to: &runs)
        }
        #expect(runs == [EventRun(generation: Self.old, maxVersion: 5, events: 2), EventRun(generation: Self.new, maxVersion: 6, events: 2)])
    }

    @Test func streamsThatHeardALostWriteAreCountedAndMustHearOfTheNewGenerationAfterwards() {
        let clients = [
            // Heard f1's 11 and 12 (the new master started at 10), then the new master's reset: answered.
            Self.client(0, runs: [EventRun(generation: Self.old, maxVersion: 12), EventRun(generation: Self.new, maxVersion: 10)]),
            // Heard 11, then nothing else: left with a state that is gone.
            Self.client(1, runs: [EventRun(generation: Self.old, maxVersion: 11)]),
            // Heard only what the new master kept.
            Self.client(2, runs: [EventRun(generation: Self.old, maxVersion: 10), EventRun(generation: Self.new, maxVersion: 11)]),
            // f2: heard 7 (the new master started at 5).
            Self.client(3, family: "f2", runs: [EventRun(generation: Self.old, maxVersion: 7), EventRun(generation: Self.new, maxVersion: 6)]),
        ]
        let judged = LostEvents.judge([Self.kill(promoted: 7002)], clients: clients, acks: [])
        #expect(judged.count == 1)
        let kill = judged[0]
        #expect(kill.notJudged == nil)
        #expect(kill.versions == 4, "f1: 11 and 12; f2: 6 and 7")
        #expect(kill.families == 2)
        #expect(kill.streams == 3)
        #expect(kill.unanswered.count == 1)
        #expect(kill.unanswered.first?.hasPrefix("client 1 (f1) heard aaaaaaaa…-11") == true)
        #expect(kill.line(frozen: true, ballast: "503 replication_timeout x3").contains("4 versions in 2 families, heard by 3 streams, 2 of them"))
    }

    @Test func anAcknowledgedWriteWithAnIDAnnouncedForALostOneIsAReusedID() {
        let clients = [Self.client(0, runs: [EventRun(generation: Self.old, maxVersion: 12), EventRun(generation: Self.new, maxVersion: 12)])]
        let acks = [
            Self.ack("kept", generation: Self.old, version: 10),
            Self.ack("bad", generation: Self.old, version: 12),
            Self.ack("new", generation: Self.new, version: 11),
        ]
        let kill = LostEvents.judge([Self.kill(promoted: 7002)], clients: clients, acks: acks)[0]
        #expect(kill.reusedIDs.count == 1)
        #expect(kill.reusedIDs.first?.hasPrefix("pending bad of f1 was acknowledged with id aaaaaaaa…-12") == true)
    }

    @Test func aKillWhosePromotedReplicaWasNotReadIsNotJudgedAndNoJudgedKillFailsTheRun() {
        var record = Self.kill(promoted: nil)
        record.replicaReadErrors = ["replica :7002 was a master before it could be read"]
        let judged = LostEvents.judge([record], clients: [], acks: [])
        #expect(judged[0].notJudged?.contains("the promoted node :7002 was not read") == true)
        #expect(judged[0].notJudged?.contains("was a master before it could be read") == true)
        var checks = ChaosChecks(uploads: [], decisions: [], clients: [], redisKilledAt: nil, faultProblems: [], lostEvents: judged)
        checks.judge(.success(ChaosChecks.Found(uploads: [], statuses: [], finals: [:]))) { _ in "" }
        #expect(checks.failures.count == 1)
        #expect(checks.failures.first?.hasPrefix("no master kill could be judged") == true)
    }

    @Test func oneIDForTwoWritesIsReusedReplaysAreNot() {
        let acks = [
            Self.ack("u1", generation: Self.old, version: 3),
            Self.ack("u1", generation: Self.old, version: 3),
            Self.ack("u2", generation: Self.new, version: 3),
            Self.ack("u3", generation: Self.new, version: 4),
            Self.ack("u2", "approved", generation: Self.new, version: 4),
        ]
        #expect(ChaosChecks.idsReused(acks) == ["id f1 bbbbbbbbbbbbbbbb-4 acknowledged different writes: approved u2, pending u3"])
    }
}
