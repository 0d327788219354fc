import FlimmerTestSupport
import Foundation
import Testing

/// The built `flimmer-sync` as a process, where its exit code and its two output streams are
/// what is tested; the rules behind them are tested in-process (CommandLineTests).
@Suite("flimmer-sync as a process: exit codes and output")
struct ProcessExitTests {
    @Test func helpExitsZeroAndListsTheCommands() async throws {
        let outcome = try await TestProcess.run("flimmer-sync", ["--help"])
        #expect(outcome.status == 0)
        for command in ["serve", "token", "inspect", "watch"] { #expect(outcome.stdout.contains(command), "\(command)") }
    }

    /// A usage error: exit code 64, and exactly one "Error: " line on stderr, naming the option
    /// (ArgumentParser may add its usage lines after it); nothing on stdout.
    @Test func aUsageErrorExits64WithOneErrorLine() async throws {
        let outcome = try await TestProcess.run("flimmer-sync", ["token", "--family", "demo", "--user", "u", "--role", "wizard", "--dev"])
        #expect(outcome.status == 64)
        let errorLines = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
        #expect(errorLines.count == 1, "\(outcome.stderr)")
        #expect(errorLines.first?.contains("role") == true)
        #expect(outcome.stdout.isEmpty)
    }

    /// Without FLIMMER_JWT_SECRET and without --dev, serve stops at once with a usage error: it
    /// neither serves nor hangs. A free port and the test Redis, so a wrongly started server disturbs nothing.
    @Test func serveWithoutASecretRefusesToStart() async throws {
        let outcome = try await TestProcess.run(
            "flimmer-sync",
            ["serve", "--host", "127.0.0.1", "--port", "\(try RedisProcess.freePort())", "--redis-url", try TestEnvironment.redisURL()]
        )
        #expect(outcome.status == 64)
        #expect(outcome.stderr.contains("FLIMMER_JWT_SECRET"))
    }

    @Test func tokenPrintsOnlyTheTokenOnStdout() async throws {
        let outcome = try await TestProcess.run("flimmer-sync", ["token", "--family", "demo", "--user", "u", "--role", "parent", "--dev"])
        #expect(outcome.status == 0)
        let lines = outcome.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.split(separator: ".").count == 3)
    }
}
