import Glibc

extension ServerProcesses {
    /// This process, for the load tool's own CPU.
    static var current: ServerProcesses { ServerProcesses(pids: [getpid()]) }

    /// CPU time in seconds, summed over the pids.
    func cpuSeconds() -> Double? { cpuMicroseconds().map { Double($0) / 1_000_000 } }
}
