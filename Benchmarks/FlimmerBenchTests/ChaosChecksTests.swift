import ContentQueue
import RedisClient
import Testing

@testable import flimmer_bench

/// The verdict of a chaos run from its acknowledgements, Redis's state and the clients' last ids.
@Suite("Chaos: checks")
struct ChaosChecksTests {
    private static let epoch = "00000000000000e1"

    private static func ack(
        _ id: String,
        _ status: String = "pending",
        version: Int?,
        sent: Double,
        answered: Double,
        family: String = "chaos-1"
    ) -> Ack {
        Ack(family: family, id: id, status: status, version: version, sent: sent, answered: answered, gateway: "A")
    }

    private static func client(_ index: Int, family: String = "chaos-1", at version: Int?, error: String = "") -> ClientSnapshot {
        ClientSnapshot(
            index: index,
            family: family,
            role: "parent",
            gateway: "B",
            seen: version.map { FamilyVersion(epoch: epoch, version: $0) },
            lastError: error
        )
    }

    private static func finals(_ version: Int) -> [String: FamilyVersion] {
        ["chaos-1": FamilyVersion(epoch: epoch, version: version)]
    }

    @Test func aCleanRunHasNoFailuresAndCountsWhatWasFound() {
        var checks = ChaosChecks(
            uploads: [Self.ack("u1", version: 1, sent: 1, answered: 1.1), Self.ack("u2", version: 2, sent: 2, answered: 2.1)],
            decisions: [Self.ack("u1", "approved", version: 3, sent: 3, answered: 3.1)],
            clients: [Self.client(0, at: 3), Self.client(1, at: 3)],
            redisKilledAt: 2.5,
            faultProblems: []
        )
        checks.judge(.success(.init(uploads: [true, true], statuses: ["approved"], finals: Self.finals(3)))) { _ in "" }
        #expect(checks.failures.isEmpty)
        #expect(checks.uploadsFound == 2)
        #expect(checks.decisionsFound == 1)
        #expect(checks.behind == [])
    }

    @Test func aLostUploadFailsWithItsStoryAndTheAOFNote() {
        var checks = ChaosChecks(
            uploads: [Self.ack("u1", version: 1, sent: 1, answered: 1.1), Self.ack("u2", version: 2, sent: 4, answered: 4.1)],
            decisions: [],
            clients: [Self.client(0, at: 2)],
            redisKilledAt: 2.0,
            faultProblems: []
        )
        checks.judge(.success(.init(uploads: [true, false], statuses: [], finals: Self.finals(2)))) { "AOF says \($0)" }
        #expect(checks.uploadsFound == 1)
        #expect(checks.failures.count == 2)
        // Sent after the kill: no durability window explains it.
        #expect(checks.failures[0].contains("1 of them do NOT fit"))
        #expect(
            checks.failures[1]
                == "upload u2 of chaos-1 acknowledged with version 2 (sent at 4.00 s, answered at 4.10 s by gateway A; Redis killed at 2.00 s) is not in Redis; AOF says u2"
        )
    }

    @Test func aDecisionRedisDoesNotShowFails() {
        var checks = ChaosChecks(
            uploads: [],
            decisions: [Self.ack("u1", "rejected", version: 5, sent: 1, answered: 1.2)],
            clients: [],
            redisKilledAt: nil,
            faultProblems: []
        )
        checks.judge(.success(.init(uploads: [], statuses: ["pending"], finals: Self.finals(5)))) { _ in "" }
        #expect(checks.decisionsFound == 0)
        #expect(checks.failures.first == "1 acknowledged writes lost although Redis was never killed")
        #expect(checks.failures.last?.hasSuffix("but Redis has status 'pending'") == true)
    }

    @Test func aFinalVersionBelowAnAcknowledgedOneFailsOnce() {
        var checks = ChaosChecks(
            uploads: [Self.ack("u1", version: 4, sent: 1, answered: 1.1), Self.ack("u2", version: 5, sent: 2, answered: 2.1)],
            decisions: [],
            clients: [],
            redisKilledAt: nil,
            faultProblems: []
        )
        checks.judge(.success(.init(uploads: [true, true], statuses: [], finals: Self.finals(3)))) { _ in "" }
        #expect(checks.failures.count == 1)
        #expect(checks.failures[0].hasPrefix("family chaos-1: final version 3 is below the acknowledged version 4"))
    }

    @Test func clientsBehindTheirFamilysFinalVersionOrEpochFailWithTheirLastError() {
        var checks = ChaosChecks(
            uploads: [],
            decisions: [],
            clients: [Self.client(0, at: 7), Self.client(1, at: 6, error: "no byte from B for 10 s"), Self.client(2, at: nil)],
            redisKilledAt: nil,
            faultProblems: ["gateway B was not running at 50% of the load"]
        )
        checks.judge(.success(.init(uploads: [], statuses: [], finals: Self.finals(7)))) { _ in "" }
        #expect(checks.behind?.map(\.index) == [1, 2])
        #expect(
            checks.failures == [
                "client 1 (chaos-1, parent, last on gateway B) last saw \(Self.epoch)-6, final is \(Self.epoch)-7; last error: no byte from B for 10 s",
                "client 2 (chaos-1, parent, last on gateway B) last saw nothing, final is \(Self.epoch)-7",
                "gateway B was not running at 50% of the load",
            ]
        )
        let otherEpoch = ["chaos-1": FamilyVersion(epoch: "ffff", version: 7)]
        #expect(ChaosChecks.lagging([Self.client(0, at: 7)], finals: otherEpoch).count == 1, "the same version of another epoch is behind")
    }

    @Test func anUnreadableRedisFailsTheRunAndCountsNobodyAtTheFinalVersion() {
        var checks = ChaosChecks(uploads: [], decisions: [], clients: [Self.client(0, at: 1)], redisKilledAt: nil, faultProblems: [])
        checks.judge(.failure(ChaosProblem("connection refused"))) { _ in "" }
        #expect(checks.behind == nil)
        #expect(checks.failures == ["Redis could not be read for the checks: connection refused"])
    }

    @Test func versionsAcknowledgedTwiceAreGroupedInTheOrderOfTheirFirstAnswer() {
        let acks = [
            Self.ack("a", version: 2, sent: 5, answered: 5.5), Self.ack("b", version: 1, sent: 1, answered: 1.5),
            Self.ack("c", version: 2, sent: 6, answered: 6.5), Self.ack("d", version: 1, sent: 2, answered: 2.5),
            Self.ack("e", version: 1, sent: 2, answered: 2.5, family: "chaos-2"), Self.ack("f", "approved", version: nil, sent: 3, answered: 3.5),
        ]
        let twice = ChaosChecks.versionsAcknowledgedTwice(acks)
        #expect(twice.map { $0.map(\.id) } == [["b", "d"], ["a", "c"]], "version 1 was answered first (1.5 s)")
    }

    // MARK: Sentinel runs: generations, writes applied twice, the gateway's ETag

    private static let g1 = RedisGeneration("9d1e0b6a2c4f7e31")!
    private static let g2 = RedisGeneration("0123456789abcdef")!

    @Test func aStreamAtTheFinalVersionNumberOfAnotherGenerationIsBehind() {
        let old = ClientSnapshot(
            index: 0,
            family: "chaos-1",
            role: "parent",
            gateway: "A",
            seen: FamilyVersion(epoch: Self.epoch, generation: Self.g1, version: 7)
        )
        let current = ClientSnapshot(index: 1, family: "chaos-1", role: "child", gateway: "B", seen: FamilyVersion(tag: "\(Self.epoch)-\(Self.g2)-7"))
        let finals = ["chaos-1": FamilyVersion(epoch: Self.epoch, generation: Self.g2, version: 7)]
        #expect(current.seen?.generation == Self.g2, "a three-part id parses with its generation")
        #expect(ChaosChecks.lagging([old, current], finals: finals).map(\.index) == [0])
    }

    @Test func anUploadStoredTwiceUnderOneTitleFailsWithItsKeys() {
        let items = [
            ChaosChecks.StoredItem(key: "content:{chaos-1}:b", title: "chaos chaos-1 #4"),
            ChaosChecks.StoredItem(key: "content:{chaos-1}:a", title: "chaos chaos-1 #4"),
            ChaosChecks.StoredItem(key: "content:{chaos-1}:c", title: "chaos chaos-1 #5"),
            ChaosChecks.StoredItem(key: "content:{other}:d", title: "Cat video"),
            ChaosChecks.StoredItem(key: "content:{other}:e", title: "Cat video"),
            ChaosChecks.StoredItem(key: "content:{other}:f", title: nil),
        ]
        #expect(ChaosChecks.writtenTwice(items) == ["upload 'chaos chaos-1 #4' was written 2 times: content:{chaos-1}:a, content:{chaos-1}:b"])
    }

    @Test func theGatewaysETagMustBeTheStateInRedis() {
        let finals = [
            "chaos-1": FamilyVersion(epoch: Self.epoch, generation: Self.g2, version: 7),
            "chaos-2": FamilyVersion(epoch: Self.epoch, generation: Self.g2, version: 3),
            "chaos-3": FamilyVersion(epoch: Self.epoch, generation: Self.g2, version: 1),
        ]
        let tags = ["chaos-1": "\(Self.epoch)-\(Self.g2)-7", "chaos-2": "\(Self.epoch)-\(Self.g1)-3"]
        #expect(
            ChaosChecks.tagMismatches(tags, finals: finals) == [
                "family chaos-2: the gateway's queue ETag is \(Self.epoch)-\(Self.g1)-3, Redis holds \(Self.epoch)-\(Self.g2)-3",
                "family chaos-3: the gateway answered no queue ETag (Redis holds \(Self.epoch)-\(Self.g2)-1)",
            ]
        )
    }

    @Test func aSentinelRunFailsOnALostWriteADuplicateARefusedRetryAndAnETagItCouldNotRead() {
        var checks = ChaosChecks(
            uploads: [Self.ack("u1", version: 1, sent: 1, answered: 1.1), Self.ack("u2", version: 2, sent: 2, answered: 2.1)],
            decisions: [],
            clients: [],
            redisKilledAt: nil,
            faultProblems: [],
            masterKilledAt: [1.5, 9],
            refusedOnRetry: ["decision on u1 (chaos-1) answered 409 not_pending at 3.00 s, attempt 2 with the key of an earlier attempt: …"]
        )
        let found = ChaosChecks.Found(
            uploads: [true, false],
            statuses: [],
            finals: Self.finals(2),
            items: [.init(key: "content:{chaos-1}:u1", title: "chaos chaos-1 #1"), .init(key: "content:{chaos-1}:u3", title: "chaos chaos-1 #1")]
        )
        checks.judge(.success(found), tags: .failure(ChaosProblem("no gateway answered"))) { _ in "not in the AOF" }
        #expect(checks.failures.count == 5, "\(checks.failures)")
        #expect(checks.failures[0].hasPrefix("1 acknowledged writes are not on the final master (masters killed at 1.50 s, 9.00 s)"))
        #expect(checks.failures[1].hasPrefix("upload u2 of chaos-1 acknowledged with version 2"))
        #expect(checks.failures[2].hasPrefix("upload 'chaos chaos-1 #1' was written 2 times"))
        #expect(checks.failures[3].hasPrefix("decision on u1 (chaos-1) answered 409 not_pending"))
        #expect(checks.failures[4] == "the gateway's queue ETags could not be read for the checks: no gateway answered")
    }
}
