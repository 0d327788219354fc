import Glibc

/// SIGSTOP of every running data node but the master the Sentinels name, SIGCONT after the
/// downtime: the master's WAIT finds no replica, so writes commit and answer 503
/// `replication_timeout` (and after min-replicas-max-lag, 5 s, the master refuses them:
/// `NOREPLICAS`, 503 `redis_unavailable`). Their retries with the same key are answered from
/// the record once the replicas are back.
struct ReplicaPause: Fault {
    struct Damage: Sendable {
        var pids: [Int32]
    }

    var schedule: FaultSchedule
    var tally: String? { "replica pauses" }

    func inject(_ context: FaultContext) async throws -> Damage {
        guard let ha = context.ha else { throw ChaosProblem("a replica pause needs a Sentinel topology (--ha-dir)") }
        // A failover may be under way: wait (bounded) for a master that is named and runs.
        var master: Int?
        let deadline = ContinuousClock.now + .seconds(15)
        while master == nil, ContinuousClock.now < deadline, !Task.isCancelled {
            if let port = await ha.masterPort(children: context.children), let node = ha.nodes().first(where: { $0.port == port }),
                ha.pid(of: node) != nil
            {
                master = port
            } else {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        guard let master else { throw ChaosProblem("replica pause: no running master named within 15 s") }
        let replicas = ha.nodes().filter { $0.port != master }.compactMap { node in ha.pid(of: node).map { (node, $0) } }
        for (_, pid) in replicas { kill(pid, SIGSTOP) }
        context.log.say(
            "SIGSTOP \(replicas.map { "\($0.0.name) :\($0.0.port)" }.joined(separator: ", ")) (all replicas of :\(master)) for "
                + "\(ChaosLog.number(ChaosLog.seconds(schedule.downtime))) s"
        )
        return Damage(pids: replicas.map(\.1))
    }

    func undo(_ damage: Damage, _ context: FaultContext) async throws {
        for pid in damage.pids { kill(pid, SIGCONT) }
        context.log.say("SIGCONT the replicas")
    }
}
