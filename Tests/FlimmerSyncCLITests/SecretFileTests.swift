import ArgumentParser
import FlimmerTestSupport
import Foundation
import Testing

@testable import flimmer_sync

/// `--jwt-secret-file`, shared by serve and token: read with one trailing newline dropped,
/// refused under 32 bytes without ever showing what the file holds.
@Suite("Command line: the JWT secret file")
struct SecretFileTests {
    /// A file of the test's own holding `text`, removed after `body`.
    static func withFile<Result>(_ text: String, _ body: (String) async throws -> Result) async throws -> Result {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flimmer-secret-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { throw TestFailure("cannot write \(path)") }
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(path)
    }

    @Test(arguments: ["serve", "token"])
    func aShortSecretFileIsRefusedWithoutShowingIt(command: String) async throws {
        try await Self.withFile("too-short\n") { path in
            let arguments =
                command == "serve"
                ? ["serve", "--jwt-secret-file", path]
                : ["token", "--family", "demo", "--user", "u", "--role", "child", "--jwt-secret-file", path]
            // serve checks its whole configuration, the secret included, when it parses.
            let error: any Error
            if command == "serve" {
                error = try #require(throws: (any Error).self) { try FlimmerSync.parseAsRoot(arguments) }
            } else {
                let token = try #require(try FlimmerSync.parseAsRoot(arguments) as? Token)
                error = try #require(throws: ValidationError.self) { try token.secret.resolve(environment: [:]) }
            }
            #expect(FlimmerSync.exitCode(for: error) == .validationFailure)
            #expect(FlimmerSync.message(for: error).contains("32 bytes"))
            #expect(!FlimmerSync.fullMessage(for: error).contains("too-short"))
        }
    }

    /// The file wins over FLIMMER_JWT_SECRET, and its one trailing newline is not part of the secret.
    @Test func theFileWinsOverTheEnvironmentWithoutItsNewline() async throws {
        let secret = "0123456789abcdef0123456789abcdef-from-a-file"
        try await Self.withFile(secret + "\n") { path in
            let serve = try #require(try FlimmerSync.parseAsRoot(["serve", "--jwt-secret-file", path]) as? Serve)
            let resolved = try serve.secret.resolve(environment: ["FLIMMER_JWT_SECRET": String(repeating: "e", count: 40)])
            #expect(resolved.secret == secret)
            #expect(!resolved.isDevelopment)
        }
    }
}
