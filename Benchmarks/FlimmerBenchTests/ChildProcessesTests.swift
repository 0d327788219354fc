import Foundation
import Glibc
import Testing

@testable import flimmer_bench

/// The processes a chaos run starts: their signals, their output, their end.
@Suite("Chaos: child processes")
struct ChildProcessesTests {
    /// The threads of Swift's concurrency pool block SIGTERM among others, and a spawned child
    /// inherits the caller's mask: it must start with none blocked and none ignored all the same
    /// (a gateway that ignores SIGTERM cannot be restarted gracefully, nor stopped without SIGKILL).
    @Test func aChildStartsWithNoBlockedOrIgnoredSignalsWhateverTheCallersMask() async throws {
        let children = ChildProcesses()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-mask-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var blocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        let started = Result { try children.start(["/bin/sh", "-c", "grep -E '^Sig(Blk|Ign):' /proc/self/status"], outputPath: path) }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        let pid = try started.get()
        #expect(await ProcessControl.wait(upTo: .seconds(10)) { children.exitStatus(pid) != nil })
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let masks = text.split(separator: "\n").map { $0.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "" }
        // Signals 1-31 only: glibc keeps 32 and 33 for itself, and no spawn attribute reaches them.
        #expect(masks.count == 2 && masks.allSatisfy { (UInt64($0, radix: 16) ?? 1) & 0x7FFF_FFFF == 0 }, "blocked and ignored signals: \(text)")
    }

    @Test func aChildThatOutlivesItsTimeoutIsStoppedAndReportedSo() async throws {
        let children = ChildProcesses()
        let started = ContinuousClock.now
        let (status, output) = try await children.run(["/bin/sh", "-c", "echo started; exec sleep 30"], timeout: .milliseconds(300))
        #expect(status == nil, "stopped, not finished")
        #expect(output == "started\n")
        #expect(ContinuousClock.now - started < .seconds(10), "SIGTERM ended it; no wait for SIGKILL")
    }
}
