import Foundation
import Glibc
import NIOConcurrencyHelpers

/// The processes a chaos run starts itself (a restarted gateway, a Redis starter): started here,
/// and stopped here when the run ends, fails, is interrupted or runs out of time.
///
/// posix_spawn, not Foundation's `Process`: a child must start with no signal blocked and every
/// disposition at its default, whatever thread starts it. The threads of Swift's concurrency
/// pool block SIGTERM among others, and a child that inherited that mask (as `Process` let
/// happen) ignored SIGTERM: a restarted gateway could only be stopped with SIGKILL.
final class ChildProcesses: Sendable {
    private struct State {
        var running: Set<Int32> = []
        var exited: [Int32: Int32] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// Starts `command` with stdin from /dev/null and stdout and stderr appended to `outputPath`; returns its pid.
    func start(_ command: [String], outputPath: String) throws -> Int32 {
        guard let executable = command.first else { throw ChaosProblem("an empty command line") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var arguments: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        var pid: pid_t = 0
        let result = state.withLockedValue { state -> Int32 in
            let result = posix_spawn(&pid, executable, &actions, &attributes, &arguments, environ)
            if result == 0 { state.running.insert(pid) }
            return result
        }
        guard result == 0 else { throw ChaosProblem("cannot start \(executable): \(String(cString: strerror(result)))") }
        return pid
    }

    /// The exit status of the child `pid` once it has ended (128+N when signal N ended it); nil while it runs.
    func exitStatus(_ pid: Int32) -> Int32? {
        state.withLockedValue { state in
            if let status = state.exited[pid] { return status }
            guard state.running.contains(pid) else { return nil }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            // WIFEXITED / WEXITSTATUS / WTERMSIG by hand: Glibc's macros do not reach Swift.
            let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            state.running.remove(pid)
            state.exited[pid] = code
            return code
        }
    }

    /// Runs `command` to its end, stopping it after `timeout`; returns its exit status (nil
    /// when it was stopped) and its output (stdout and stderr together).
    func run(_ command: [String], timeout: Duration) async throws -> (status: Int32?, output: String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flimmer-chaos-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pid = try start(command, outputPath: path)
        let finished = await ProcessControl.wait(upTo: timeout) { exitStatus(pid) != nil }
        if !finished { stop(pid) }
        return (finished ? exitStatus(pid) : nil, (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
    }

    /// SIGTERM to the child `pid`, SIGKILL after 10 s; returns when it is gone (at most ~15 s).
    func stop(_ pid: Int32) {
        guard exitStatus(pid) == nil, state.withLockedValue({ $0.running.contains(pid) }) else { return }
        kill(pid, SIGTERM)
        if !Self.waitBlocking(seconds: 10, until: { exitStatus(pid) != nil }) {
            kill(pid, SIGKILL)
            Self.waitBlocking(seconds: 5) { exitStatus(pid) != nil }
        }
    }

    /// Stops every child still running. Blocking: also called from the signal watcher's thread.
    func stopAll() {
        for pid in state.withLockedValue({ Array($0.running) }) { stop(pid) }
    }

    @discardableResult
    private static func waitBlocking(seconds: Double, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() >= deadline { return false }
            usleep(50_000)
        }
        return true
    }
}
