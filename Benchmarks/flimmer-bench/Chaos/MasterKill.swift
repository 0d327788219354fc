import Foundation
import Glibc

/// `kill -9` of the node the Sentinels name as master; once they name another one (and at least
/// the downtime after the kill), the killed node is started again with `start_ha`, which returns
/// when it has rejoined as a replica and the topology has settled.
///
/// A kill waits first (up to `settleWait`) until an earlier killed master has rejoined: with that
/// node still a stale master, the new master would have one replica at most, and its loss would
/// leave the topology without any for the 10-20 s the Sentinels take to demote the stale one.
///
/// With `freezeReplicas`, every replica gets SIGSTOP that long before the kill while writes
/// flow, with ballast uploads on top (`ChaosLoad.ballast`), and SIGCONT right after it: the
/// master commits and announces writes that no replica receives (they answer 503
/// `replication_timeout`, not an acknowledgement), and the new master lacks them.
///
/// Right after each kill, every replica is read (`ReplicaState`): the one the Sentinels promote
/// starts from exactly that state, which tells the events of writes the new master lacks.
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
    /// How long the replicas are frozen before the kill; nil: not at all.
    var freezeReplicas: Duration? = nil
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
        let replicas = ha.nodes().filter { $0.port != port }.compactMap { node in ha.pid(of: node).map { (node, $0) } }
        var ballast: Task<String?, Never>?
        if let freeze = freezeReplicas {
            for (_, replica) in replicas { kill(replica, SIGSTOP) }
            context.log.say(
                "SIGSTOP \(replicas.map { "\($0.0.name) :\($0.0.port)" }.joined(separator: ", ")) (all replicas of :\(port)) for "
                    + "\(ChaosLog.number(ChaosLog.seconds(freeze))) s of writes and ballast, then kill -9 the master"
            )
            let end = ContinuousClock.now + freeze
            // The kill comes at the end of the freeze, not after the ballast's last answers: a
            // longer freeze would pass min-replicas-max-lag, and the master would refuse writes.
            ballast = Task { [load = context.load] in await load?.ballast(until: end) }
            try? await Task.sleep(until: end, clock: .continuous)
        }
        kill(pid, SIGKILL)
        let killed = ContinuousClock.now
        if freezeReplicas != nil {
            for (_, replica) in replicas { kill(replica, SIGCONT) }
        }
        var entry = FaultLedger.MasterKillRecord(node: node.name, port: port, killedAt: context.log.elapsed(at: killed), waited: waited)
        entry.frozeReplicas = freezeReplicas != nil
        let record = context.ledger.killedMaster(entry)
        let failover = Task { await watchFailover(ha, from: port, killed: killed, record: record, context) }
        await readReplicas(replicas.map(\.0.port), record: record, context)
        if let ballast {
            let answers = await ballast.value
            context.ledger.updateMasterKill(record) { $0.ballast = answers }
        }
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

    /// Reads every replica right after the kill, before the Sentinels promote one, into the record.
    private func readReplicas(_ ports: [Int], record: Int, _ context: FaultContext) async {
        guard let ha = context.ha, let text = try? String(contentsOfFile: ha.directory + "/acl/operator.password", encoding: .utf8) else {
            context.ledger.updateMasterKill(record) { $0.replicaReadErrors.append("no operator password in the topology's acl/") }
            return
        }
        let families = context.families
        let password = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let results = await withTaskGroup(of: Result<ReplicaState, any Error>.self) { group in
            for port in ports {
                group.addTask {
                    do { return .success(try await ReplicaState.read(port: port, password: password, families: families)) } catch {
                        return .failure(error)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        context.ledger.updateMasterKill(record) { entry in
            for result in results {
                switch result {
                case .success(let state): entry.replicas.append(state)
                case .failure(let error): entry.replicaReadErrors.append("\(error)")
                }
            }
        }
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
