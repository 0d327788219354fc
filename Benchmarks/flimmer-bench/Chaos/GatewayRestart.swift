import Glibc

/// SIGTERM to a gateway (it drains its streams with a farewell comment and exits), started
/// again with the same command line after the downtime, counted from its exit.
struct GatewayRestart: Fault {
    struct Damage: Sendable {
        var pid: Int32
    }

    var schedule: FaultSchedule
    /// Which gateway of `FaultContext.gateways`.
    var gateway: Int
    var tally: String? { "gateway restarts" }

    func inject(_ context: FaultContext) async throws -> Damage {
        let node = context.gateways[gateway]
        guard let pid = node.pid else {
            throw ChaosProblem("gateway \(node.name) was not running at \(Int((schedule.at * 100).rounded()))% of the load")
        }
        kill(pid, SIGTERM)
        let sent = ContinuousClock.now
        await ProcessControl.wait(upTo: .seconds(15)) { !ProcessControl.isAlive(pid) }
        let took = ChaosLog.seconds(ContinuousClock.now - sent)
        if ProcessControl.isAlive(pid) {
            context.ledger.problem("gateway \(node.name) (pid \(pid)) still running 15 s after SIGTERM; killed")
            kill(pid, SIGKILL)
            await ProcessControl.wait(upTo: .seconds(5)) { !ProcessControl.isAlive(pid) }
        }
        context.log.say("SIGTERM gateway \(node.name) (pid \(pid)): exited after \(String(format: "%.2f", took)) s")
        return Damage(pid: pid)
    }

    func undo(_ damage: Damage, _ context: FaultContext) async throws {
        let node = context.gateways[gateway]
        let pid = try node.start(children: context.children)
        var live = false
        let deadline = ContinuousClock.now + .seconds(20)
        while !live, ContinuousClock.now < deadline, context.children.exitStatus(pid) == nil, !Task.isCancelled {
            live = await node.isLive(http: context.http)
            if !live { try await Task.sleep(for: .milliseconds(100)) }
        }
        if let status = context.children.exitStatus(pid) {
            throw ChaosProblem("restarted gateway \(node.name) exited with \(status) (log \(node.logPath))")
        }
        guard live else { throw ChaosProblem("restarted gateway \(node.name) did not answer /health/live within 20 s") }
        context.log.say("gateway \(node.name) restarted (pid \(pid)) on port \(node.port)")
    }
}
