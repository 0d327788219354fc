import Glibc

/// `kill -9` of redis-server, restarted on the same port and data after the downtime.
///
/// With the shipped `appendfsync always`, every write acknowledged before the kill must be in
/// Redis after the restart; the checks judge lost writes against the kill's time in the ledger.
struct RedisKill: Fault {
    struct Damage: Sendable {
        var pid: Int32
        var killed: ContinuousClock.Instant
    }

    var schedule: FaultSchedule
    var tally: String? { "redis restarts" }

    func inject(_ context: FaultContext) async throws -> Damage {
        guard let redis = context.redis else { throw ChaosProblem("a Redis kill needs the run's one Redis (--redis-port)") }
        guard let pid = redis.pid else { throw ChaosProblem("no live redis-server pid in \(redis.directory)/redis.pid") }
        kill(pid, SIGKILL)
        let killed = ContinuousClock.now
        context.ledger.redisKilledAt = context.log.elapsed(at: killed)
        await ProcessControl.wait(upTo: .seconds(5)) { !ProcessControl.isAlive(pid) && !ProcessControl.acceptsConnections(port: redis.port) }
        context.log.say("kill -9 redis-server (pid \(pid))")
        return Damage(pid: pid, killed: killed)
    }

    func undo(_ damage: Damage, _ context: FaultContext) async throws {
        guard let redis = context.redis else { return }
        do {
            try await redis.start(children: context.children)
        } catch {
            context.log.say("redis-server did NOT restart")
            throw error
        }
        let down = ChaosLog.seconds(ContinuousClock.now - damage.killed)
        context.log.say("redis-server restarted (pid \(redis.pid.map(String.init) ?? "?")), down \(String(format: "%.1f", down)) s")
    }
}
