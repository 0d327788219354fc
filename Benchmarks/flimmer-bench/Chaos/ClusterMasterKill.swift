import Glibc
import RedisClient

/// `kill -9` of a master of the cluster that serves some of the run's families; once another
/// node serves its slots (its replica, elected after cluster-node-timeout), and at least the
/// downtime after the kill, the killed node is started again (`start_cluster`), rejoins as a
/// replica, and the cluster settles. Until then the shard has no replica, and its writes
/// answer 503 (WAIT finds none); the load retries them with their keys.
struct ClusterMasterKill: Fault {
    struct Damage: Sendable {
        var node: HATopology.Node
        var killed: ContinuousClock.Instant
        var record: Int
    }

    var schedule: FaultSchedule
    var failoverLimit: Duration = .seconds(20)
    var tally: String? { "cluster masters killed and rejoined" }

    func inject(_ context: FaultContext) async throws -> Damage {
        guard let cluster = context.cluster else { throw ChaosProblem("a cluster master kill needs a Redis Cluster (--cluster-dir)") }
        let masters = await cluster.masters(children: context.children)
        let slots = context.families.map { RedisSlot(key: "{\($0)}").rawValue }
        guard let master = masters.first(where: { master in slots.contains(where: master.serves) }),
            let node = cluster.nodes().first(where: { $0.port == master.port }), let pid = cluster.pid(of: node)
        else { throw ChaosProblem("no running master serves the run's families") }
        kill(pid, SIGKILL)
        let killed = ContinuousClock.now
        let record = context.ledger.killedMaster(.init(node: node.name, port: master.port, killedAt: context.log.elapsed(at: killed)))
        context.log.say("kill -9 master \(node.name) :\(master.port) (pid \(pid)), \(slots.filter(master.serves).count) families on it")
        // Another master serves the killed one's first slot: the failover is done.
        let slot = master.slots[0].lowerBound
        while ContinuousClock.now < killed + failoverLimit {
            if let owner = await cluster.masters(children: context.children).first(where: { $0.serves(slot) }), owner.port != master.port {
                let now = ContinuousClock.now
                context.ledger.updateMasterKill(record) {
                    $0.failoverAt = context.log.elapsed(at: now)
                    $0.newMasterPort = owner.port
                }
                context.log.say(
                    "the cluster serves its slots from :\(owner.port), \(String(format: "%.1f", ChaosLog.seconds(now - killed))) s after the kill"
                )
                return Damage(node: node, killed: killed, record: record)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        context.ledger.problem("no replica took over :\(master.port)'s slots within \(Int(ChaosLog.seconds(failoverLimit))) s of the kill")
        return Damage(node: node, killed: killed, record: record)
    }

    func undo(_ damage: Damage, _ context: FaultContext) async throws {
        guard let cluster = context.cluster else { return }
        defer { context.ledger.settled(damage.record) }
        try await cluster.startWhatIsStopped(children: context.children)
        let now = ContinuousClock.now
        context.ledger.updateMasterKill(damage.record) { $0.settledAt = context.log.elapsed(at: now) }
        context.log.say(
            "\(damage.node.name) rejoined; the cluster settled \(String(format: "%.1f", ChaosLog.seconds(now - damage.killed))) s after the kill"
        )
    }
}
