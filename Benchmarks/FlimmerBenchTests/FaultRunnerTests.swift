import AsyncHTTPClient
import Testing

@testable import flimmer_bench

/// The fault schedule: when faults strike and are undone, what their failures become, and that
/// the schedule is bounded.
@Suite("Chaos: fault schedule")
struct FaultRunnerTests {
    private static func context(_ ledger: FaultLedger) -> FaultContext {
        FaultContext(
            redis: RedisNode(port: 1, directory: "/nonexistent", library: "/nonexistent"),
            gateways: [],
            clients: [],
            log: ChaosLog(),
            ledger: ledger,
            children: ChildProcesses(),
            http: HTTPClient.shared
        )
    }

    @Test func aScheduleStrikesAtItsShareOfTheLoadAndEndsAfterItsDowntime() {
        let start = ContinuousClock.now
        let schedule = FaultSchedule(at: 0.25, downtime: .milliseconds(1500))
        #expect(schedule.strike(loadStart: start, load: .seconds(8)) == start + .seconds(2))
        #expect(schedule.plannedEnd(loadStart: start, load: .seconds(8)) == start + .milliseconds(3500))
    }

    @Test func aFaultIsInjectedOnTimeAndUndoneAfterItsDowntime() async {
        let ledger = FaultLedger()
        let fault = RecordingFault(schedule: FaultSchedule(at: 0.5, downtime: .milliseconds(150)))
        let start = ContinuousClock.now
        await FaultRunner(faults: [fault]).run(Self.context(ledger), loadStart: start, load: .milliseconds(400))
        guard let injected = fault.record.injected.withLockedValue({ $0 }), let injectDone = fault.record.injectDone.withLockedValue({ $0 }),
            let undone = fault.record.undone.withLockedValue({ $0 })
        else {
            Issue.record("the fault was not injected and undone")
            return
        }
        #expect(injected - start >= .milliseconds(200))
        #expect(undone - injectDone >= .milliseconds(150))
        #expect(ledger.tally("recordings") == 1)
        #expect(ledger.problems.isEmpty)
    }

    @Test func aFailedInjectIsAProblemAndIsNotUndone() async {
        let ledger = FaultLedger()
        let fault = RecordingFault(schedule: FaultSchedule(at: 0, downtime: .zero), behaviour: .failInject("gateway B was not running"))
        await FaultRunner(faults: [fault]).run(Self.context(ledger), loadStart: .now, load: .milliseconds(100))
        #expect(ledger.problems == ["gateway B was not running"])
        #expect(fault.record.undone.withLockedValue { $0 } == nil)
        #expect(ledger.tally("recordings") == 0)
    }

    @Test func aFaultThatOverrunsTheScheduleIsAbandonedAndReported() async {
        let ledger = FaultLedger()
        let stuck = RecordingFault(schedule: FaultSchedule(at: 0, downtime: .zero), behaviour: .hangInject)
        let fine = RecordingFault(schedule: FaultSchedule(at: 0.5, downtime: .zero))
        let start = ContinuousClock.now
        await FaultRunner(faults: [stuck, fine], grace: .milliseconds(300)).run(Self.context(ledger), loadStart: start, load: .milliseconds(200))
        #expect(ContinuousClock.now - start < .seconds(5), "bounded: load, grace, and the cancellation")
        #expect(ledger.problems == ["the fault schedule did not finish: RecordingFault still running"])
        #expect(fine.record.undone.withLockedValue { $0 } != nil, "the other fault ran all the same")
    }

    /// The first fault stays in its inject until the second has struck: were faults run one
    /// after the other, the second would never strike while the first runs.
    @Test func aSlowFaultDoesNotDelayTheNextOne() async {
        let ledger = FaultLedger()
        let next = RecordingFault(schedule: FaultSchedule(at: 0.5, downtime: .zero))
        let slow = RecordingFault(schedule: FaultSchedule(at: 0, downtime: .zero), behaviour: .injectUntilInjected(next.record))
        await FaultRunner(faults: [slow, next]).run(Self.context(ledger), loadStart: .now, load: .milliseconds(400))
        let struck = next.record.injected.withLockedValue { $0 }
        let slowDone = slow.record.injectDone.withLockedValue { $0 }
        #expect(struck != nil && slowDone != nil)
        #expect(struck.flatMap { struck in slowDone.map { struck <= $0 } } == true, "the second struck while the first still ran")
        #expect(ledger.tally("recordings") == 2)
    }

    @Test func theStandardScheduleIsTheOneScriptsChaosDescribes() {
        let faults = ChaosRun.faults(pause: 5)
        #expect(faults.map(\.schedule.at) == [0.25, 0.50, 0.60])
        #expect(faults.map(\.schedule.downtime) == [.milliseconds(1500), .seconds(1), .seconds(5)])
        #expect(faults.compactMap(\.tally) == ["redis restarts", "gateway restarts"])
    }

    @Test func theSentinelScheduleIsTheOneScriptsChaosDescribes() {
        let faults = ChaosRun.haFaults(pause: 5)
        #expect(faults.map(\.schedule.at) == [0.20, 0.50, 0.55, 0.60, 0.75])
        #expect(faults.map(\.schedule.downtime) == [.seconds(3), .seconds(1), .seconds(3), .seconds(5), .seconds(2)])
        #expect(faults.map { FaultRunner.name(of: $0) } == ["MasterKill", "GatewayRestart", "MasterKill", "StreamPause", "ReplicaPause"])
    }

    @Test func aSentinelFaultWithoutATopologyIsAProblemOfTheRun() async {
        let ledger = FaultLedger()
        let faults: [any Fault] = [
            MasterKill(schedule: FaultSchedule(at: 0, downtime: .zero)), ReplicaPause(schedule: FaultSchedule(at: 0, downtime: .zero)),
        ]
        await FaultRunner(faults: faults).run(Self.context(ledger), loadStart: .now, load: .milliseconds(100))
        #expect(
            Set(ledger.problems) == [
                "a master kill needs a Sentinel topology (--ha-dir)", "a replica pause needs a Sentinel topology (--ha-dir)",
            ]
        )
        #expect(!ledger.isSettling)
    }

    @Test func aMasterKillCountsAsSettlingUntilItsNodeIsBack() {
        let ledger = FaultLedger()
        let first = ledger.killedMaster(.init(node: "node-1", port: 17000, killedAt: 4))
        #expect(ledger.isSettling)
        ledger.updateMasterKill(first) { $0.failoverAt = 6.3 }
        ledger.settled(first)
        #expect(!ledger.isSettling)
        #expect(ledger.masterKills.map(\.failoverAt) == [6.3])
    }
}
