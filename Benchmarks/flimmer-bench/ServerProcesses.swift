import Foundation
import Glibc

/// A server's processes (nginx has a master and workers), read from /proc: memory and CPU time summed over all of them.
struct ServerProcesses: Sendable {
    let pids: [Int32]

    /// Proportional set size in KiB: shared pages count once across the pids, so nginx's
    /// workers are not charged several times for the same memory (RSS would).
    func pssKiB() -> Int? { sum { Self.field("Pss:", in: "/proc/\($0)/smaps_rollup") } }

    /// Resident set size in KiB.
    func rssKiB() -> Int? { sum { Self.field("VmRSS:", in: "/proc/\($0)/status") } }

    /// utime + stime in microseconds, all threads of all pids.
    func cpuMicroseconds() -> Int? {
        sum { pid in
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = text.lastIndex(of: ")")
            else { return nil }
            // Fields after the command name start at "state" (field 3); utime is 14, stime 15.
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
            return (user + system) * 1_000_000 / sysconf(Int32(_SC_CLK_TCK))
        }
    }

    /// Whether every pid still exists.
    var alive: Bool { pids.allSatisfy { kill($0, 0) == 0 } }

    private func sum(_ read: (Int32) -> Int?) -> Int? {
        guard !pids.isEmpty else { return nil }
        var total = 0
        for pid in pids {
            guard let value = read(pid) else { return nil }
            total += value
        }
        return total
    }

    private static func field(_ name: String, in path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }
}
