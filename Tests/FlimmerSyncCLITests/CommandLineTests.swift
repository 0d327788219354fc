import ArgumentParser
import Testing

@testable import flimmer_sync

/// The command line's help and usage errors, parsed in-process: every rule of `validate()`
/// is a usage error (exit code 64, EX_USAGE) whose message names the option at fault.
@Suite("Command line: help and usage errors")
struct CommandLineTests {
    struct Refusal: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        /// A word the message must contain: the option at fault.
        let names: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let refusals: [Refusal] = [
        Refusal(arguments: ["token", "--family", "demo", "--user", "u", "--role", "wizard", "--dev"], names: "--role"),
        Refusal(arguments: ["token", "--family", "de mo", "--user", "u", "--role", "parent", "--dev"], names: "--family"),
        Refusal(arguments: ["token", "--user", "u", "--role", "parent", "--dev"], names: "--family"),
        Refusal(arguments: ["token", "--family", "demo", "--user", "u\n", "--role", "child", "--dev"], names: "--user"),
        Refusal(arguments: ["token", "--family", "demo", "--user", "u", "--role", "child", "--ttl", "0", "--dev"], names: "--ttl"),
        Refusal(arguments: ["serve", "--dev", "--cors-origin", "*"], names: "--cors-origin"),
        Refusal(arguments: ["serve", "--dev", "--cors-origin", "https://app.example/path"], names: "--cors-origin"),
        Refusal(arguments: ["serve", "--dev", "--port", "70000"], names: "--port"),
        Refusal(arguments: ["serve", "--dev", "--log-format", "xml"], names: "--log-format"),
        Refusal(arguments: ["serve", "--dev", "--log-level", "loud"], names: "--log-level"),
        Refusal(arguments: ["serve", "--dev", "--metrics-token", "short"], names: "--metrics-token"),
        Refusal(arguments: ["serve", "--dev", "--max-body-bytes", "100"], names: "--max-body-bytes"),
        Refusal(arguments: ["inspect", "--family", "a*b"], names: "--family"),
        Refusal(arguments: ["watch", "--token", "t", "--token-file", "/tmp/t"], names: "--token-file"),
        Refusal(arguments: ["watch", "--token", "t", "--redis-url", "redis://127.0.0.1"], names: "--redis-url"),
        Refusal(arguments: ["watch", "--redis-url", "redis://127.0.0.1"], names: "--family"),
        Refusal(arguments: ["watch", "--token", "t", "--url", "ftp://gateway"], names: "--url"),
    ]

    @Test(arguments: refusals)
    func isAUsageErrorNamingTheOption(_ refusal: Refusal) throws {
        let error = try #require(throws: (any Error).self) { try FlimmerSync.parseAsRoot(refusal.arguments) }
        #expect(FlimmerSync.exitCode(for: error) == .validationFailure)
        #expect(FlimmerSync.message(for: error).contains(refusal.names), "\(FlimmerSync.message(for: error))")
    }

    @Test func theHelpOfEachCommandNamesItsOptions() {
        #expect(FlimmerSync.helpMessage().contains("serve"))
        #expect(FlimmerSync.helpMessage(for: Serve.self).contains("--redis-url"))
        #expect(FlimmerSync.helpMessage(for: Token.self).contains("--role"))
        #expect(FlimmerSync.helpMessage(for: Inspect.self).contains("--json"))
        #expect(FlimmerSync.helpMessage(for: Watch.self).contains("--token-file"))
    }

    /// serve checks its configuration, the secret included, when it parses: without a secret and
    /// without --dev it stops with a usage error before it listens. (The test process has no
    /// FLIMMER_JWT_SECRET; scripts/test never sets one.)
    @Test func serveWithoutASecretAndWithoutDevIsAUsageError() throws {
        let error = try #require(throws: (any Error).self) { try FlimmerSync.parseAsRoot(["serve"]) }
        #expect(FlimmerSync.exitCode(for: error) == .validationFailure)
        #expect(FlimmerSync.message(for: error).contains("FLIMMER_JWT_SECRET"))
    }
}
