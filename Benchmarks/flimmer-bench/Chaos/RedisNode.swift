/// The chaos run's Redis, started by scripts/chaos with scripts/lib.sh's `start_redis`: its port,
/// its folder (data, `redis.pid`, `redis.log`) and how to start it again the same way.
struct RedisNode: Sendable {
    var port: Int
    /// The `--dir` of redis-server; holds `redis.pid` and `appendonlydir/`.
    var directory: String
    /// scripts/lib.sh, whose `start_redis` (re)starts it: one way to start a Redis, in one place.
    var library: String

    /// The pid in its pidfile, when that process still runs.
    var pid: Int32? {
        ProcessControl.readPid(directory + "/redis.pid").flatMap { ProcessControl.isAlive($0) ? $0 : nil }
    }

    /// Starts redis-server again on the same port, folder and configuration (`FLIMMER_REDIS_CONF`
    /// from the environment, as scripts/chaos exported it); throws with start_redis's output.
    func start(children: ChildProcesses) async throws {
        let command = ["/bin/bash", "-c", #"source "$0" && start_redis "$1" "$2""#, library, String(port), directory]
        let (status, output) = try await children.run(command, timeout: .seconds(30))
        guard status == 0 else {
            throw ChaosProblem("redis-server did not restart: " + String(output.trimmingCharacters(in: .whitespacesAndNewlines).suffix(500)))
        }
    }
}
