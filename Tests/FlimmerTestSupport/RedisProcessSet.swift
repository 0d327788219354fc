/// The processes of a topology of the test's own (``SentinelGroup``, ``ClusterGroup``) by port,
/// and which of them are paused: the one place that kills, pauses, resumes and restarts them.
/// Used from the test's task only, like the groups that hold it.
final class RedisProcessSet: @unchecked Sendable {
    /// What a port names, for errors: `node`, `node or Sentinel`.
    private let member: String
    private var processes: [Int: RedisProcess] = [:]
    private var paused: Set<Int> = []

    init(member: String) {
        self.member = member
    }

    /// Records the process started on `port`.
    func add(_ process: RedisProcess, port: Int) {
        processes[port] = process
    }

    func process(_ port: Int) throws -> RedisProcess {
        guard let process = processes[port] else { throw TestFailure("no \(member) of this group on port \(port)") }
        return process
    }

    /// Whether the process on `port` runs and is not paused.
    func isRunning(_ port: Int) -> Bool {
        processes[port]?.pid != nil && !paused.contains(port)
    }

    func kill9(port: Int) throws {
        try process(port).kill9()
        paused.remove(port)
    }

    func pause(port: Int) throws {
        try process(port).pause()
        paused.insert(port)
    }

    func resume(port: Int) throws {
        try process(port).resume()
        paused.remove(port)
    }

    func restart(port: Int) throws {
        try process(port).restart()
        paused.remove(port)
    }

    /// SIGKILL to every process, in the order of `ports`; forgets them all.
    func killAll(in ports: [Int]) {
        for port in ports { processes[port]?.kill9() }
        processes = [:]
        paused = []
    }
}
