import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A built executable of this package run as a child process, its output going to files that
/// the test reads at any moment: for what only a process shows (exit codes, the two output
/// streams, signals). In-process tests of the commands are preferred wherever they can tell.
public final class TestProcess: @unchecked Sendable {
    /// What a finished process left.
    public struct Outcome: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    private let process = Process()
    private let directory: URL

    /// Starts `executable` (a product of this package, e.g. "flimmer-sync") with `arguments`.
    /// Its environment is this process's without the settings that would change what the
    /// command does (secrets, tokens, Redis URL), plus `environment`. Standard input is closed.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("flimmer-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: try Self.path(of: executable))
        process.arguments = arguments
        var inherited = ProcessInfo.processInfo.environment
        for name in ["FLIMMER_JWT_SECRET", "FLIMMER_JWT_SECRET_FILE", "FLIMMER_TOKEN", "REDIS_URL", "FLIMMER_METRICS_TOKEN"] {
            inherited[name] = nil
        }
        process.environment = inherited.merging(environment) { $1 }
        FileManager.default.createFile(atPath: directory.appendingPathComponent("stdout").path, contents: nil)
        FileManager.default.createFile(atPath: directory.appendingPathComponent("stderr").path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: directory.appendingPathComponent("stdout"))
        process.standardError = try FileHandle(forWritingTo: directory.appendingPathComponent("stderr"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        TestEnvironment.removeFolder(directory.path)
    }

    /// Runs `executable` to its end and returns what it left; fails if it still runs after `timeout`.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        timeout: Duration = .seconds(10)
    ) async throws -> Outcome {
        let child = try TestProcess(executable, arguments, environment: environment)
        let status = try await child.exitStatus(timeout: timeout)
        return Outcome(status: status, stdout: child.stdout, stderr: child.stderr)
    }

    /// Standard output so far.
    public var stdout: String { read("stdout") }
    /// Standard error so far.
    public var stderr: String { read("stderr") }

    /// Sends `signal` (SIGTERM, SIGINT, …).
    public func send(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits for the process to end and returns its exit status; kills it and fails if it
    /// still runs after `timeout`. A process ended by a signal fails too: none of ours should be.
    public func exitStatus(timeout: Duration = .seconds(10)) async throws -> Int32 {
        do {
            try await eventually("\(process.executableURL?.lastPathComponent ?? "the process") to exit", timeout: timeout) { !process.isRunning }
        } catch {
            kill(process.processIdentifier, SIGKILL)
            throw TestFailure("still running after \(timeout); stderr:\n\(stderr)")
        }
        guard process.terminationReason == .exit else {
            throw TestFailure("ended by signal \(process.terminationStatus); stderr:\n\(stderr)")
        }
        return process.terminationStatus
    }

    /// Waits until standard output (or error, with `onStderr`) has a line containing `text`.
    public func waitForLine(containing text: String, onStderr: Bool = false, timeout: Duration = .seconds(10)) async throws {
        try await eventually("a line with \"\(text)\"; stdout:\n\(stdout)\nstderr:\n\(stderr)", timeout: timeout, poll: .milliseconds(20)) {
            (onStderr ? stderr : stdout).split(separator: "\n").contains { $0.contains(text) }
        }
    }

    private func read(_ name: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    /// The executable built next to the test bundle (`swift build --build-tests` builds both).
    static func path(of executable: String) throws -> String {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidate = directory.appendingPathComponent(executable).path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw TestFailure("\(candidate) was not built: run `swift build --build-tests` first (scripts/test does)")
        }
        return candidate
    }
}
