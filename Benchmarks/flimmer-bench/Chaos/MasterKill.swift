import Glibc

/// `kill -9` of the node the Sentinels name as master; once they name another one (and at least
/// the downtime after the kill), the killed node is started again with `start_ha`, which returns
/// when it has rejoined as a replica and the topology has settled.
///
/// A kill waits first (up to `settleWait`) until an earlier killed master has rejoined: with that
/// node still a stale master, the new master would have one replica at most, and its loss would
/// leave the topology without any for the 10-20 s the Sentinels take to demote the stale one.
struct MasterKill: Fault {
    struct Damage: Sendable {
        var record: Int
        var node: HATopology.Node
        var killed: ContinuousClock.Instant
        /// Asks the Sentinels from the kill on until they name another master; its port, nil if none in time.
        var failover: Task<Int?, Never>
    }

    var schedule: FaultSchedule
    var settleWait: Duration = .seconds(40)
    /// How long after the kill the Sentinels may take to name another master before it is a problem.
    var failoverLimit: Duration = .seconds(20)
    var tally: String? { "masters killed and rejoined" }

    func inject(_ context: FaultContext) async throws -> Damage {
        guard let ha = context.ha else { throw ChaosProblem("a master kill needs a Sentinel topology (--ha-dir)") }
        let waitStart = ContinuousClock.now
        await ProcessControl.wait(upTo: settleWait) { !context.ledger.isSettling }
        let waited = ChaosLog.seconds(ContinuousClock.now - waitStart)
        if context.ledger.isSettling {
            context.log.say("the topology has not settled after \(Int(waited)) s; killing the master all the same")
        }
        guard let port = await ha.masterPort(children: context.children) else { throw ChaosProblem("no Sentinel of \(ha.directory) names a master") }
        guard let node = ha.nodes().first(where: { $0.port == port }) else {
            throw ChaosProblem("the master :\(port) is none of \(ha.directory)/node-*")
        }
        guard let pid = ha.pid(of: node) else { throw ChaosProblem("the master \(node.name) :\(port) does not run") }
        kill(pid, SIGKILL)
        let killed = ContinuousClock.now
        let record = context.ledger.killedMaster(
            .init(node: node.name, port: port, killedAt: context.log.elapsed(at: killed), waited: waited)
        )
        let failover = Task { await watchFailover(ha, from: port, killed: killed, record: record, context) }
        await ProcessControl.wait(upTo: .seconds(5)) { !ProcessControl.isAlive(pid) }
        let note = waited >= 0.5 ? " (after waiting \(String(format: "%.1f", waited)) s for the topology to settle)" : ""
        context.log.say("kill -9 master \(node.name) :\(port) (pid \(pid))\(note)")
        return Damage(record: record, node: node, killed: killed, failover: failover)
    }

    func undo(_ damage: Damage, _ context: FaultContext) async throws {
        guard let ha = context.ha else { return }
        defer { context.ledger.settled(damage.record) }
        // Back only once another master is named: a node that came back before the failover would
        // be the master again, with everything it had, and no failover would have happened.
        if await damage.failover.value == nil {
            context.ledger.problem(
                "no Sentinel named another master within \(Int(ChaosLog.seconds(failoverLimit))) s of the kill -9 of \(damage.node.name) :\(damage.node.port)"
            )
        }
        try await ha.startWhatIsStopped(children: context.children)
        let now = ContinuousClock.now
        context.ledger.updateMasterKill(damage.record) { $0.settledAt = context.log.elapsed(at: now) }
        context.log.say("\(damage.node.name) rejoined; the topology settled \(Self.f1(now - damage.killed)) s after the kill")
    }

    /// Asks every Sentinel every 50 ms, until `failoverLimit` after the kill, for a master other
    /// than `old`; books and returns the first one named (the Sentinel that performs the
    /// failover names the promoted replica first; the others learn it from its hello messages).
    private func watchFailover(_ ha: HATopology, from old: Int, killed: ContinuousClock.Instant, record: Int, _ context: FaultContext) async -> Int? {
        let sentinels = ha.sentinelPorts()
        guard let name = ha.masterName, !sentinels.isEmpty else { return nil }
        while ContinuousClock.now < killed + failoverLimit {
            if let port = sentinels.lazy.compactMap({ SentinelProbe.masterPort(sentinel: $0, name: name) }).first(where: { $0 != old }) {
                let now = ContinuousClock.now
                context.ledger.updateMasterKill(record) {
                    $0.failoverAt = context.log.elapsed(at: now)
                    $0.newMasterPort = port
                }
                context.log.say("the Sentinels name :\(port) master, \(Self.f1(now - killed)) s after the kill")
                return port
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    private static func f1(_ duration: Duration) -> String { String(format: "%.1f", ChaosLog.seconds(duration)) }
}
