import ContentQueue
import Foundation
import Server
import Testing

@testable import flimmer_sync

/// `flimmer-sync token` run in-process: the token it prints verifies, with the secret it was
/// told to use, to exactly the principal its options name.
@Suite("Command line: token")
struct TokenCommandTests {
    static func mint(_ arguments: [String], environment: [String: String] = [:]) async throws -> String {
        let token = try #require(try FlimmerSync.parseAsRoot(["token"] + arguments) as? Token)
        return try await token.mint(environment: environment)
    }

    /// family/user/role of a verified token.
    static func holder(_ principal: Principal) -> String {
        "\(principal.family.rawValue)/\(principal.user.rawValue)/\(principal.role.rawValue)"
    }

    @Test func devSignsWithTheDevelopmentSecret() async throws {
        let token = try await Self.mint(["--family", "demo", "--user", "u", "--role", "parent", "--dev"])
        // header.payload.signature, each base64url
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } })
        let principal = try await TokenAuthority(secret: TokenAuthority.developmentSecret).verify(token)
        #expect(Self.holder(principal) == "demo/u/parent")
        // The default lifetime, an hour, plus the 30 s of clock skew the gateway allows.
        #expect(abs((principal.validUntil?.timeIntervalSinceNow ?? 0) - 3630) <= 5)
    }

    @Test func aSecretFileSignsWithTheFilesSecret() async throws {
        let secret = "0123456789abcdef0123456789abcdef-from-a-file"
        try await SecretFileTests.withFile(secret + "\n") { path in
            let token = try await Self.mint(["--family", "demo", "--user", "u", "--role", "child", "--jwt-secret-file", path])
            let principal = try await TokenAuthority(secret: secret).verify(token)
            #expect(Self.holder(principal) == "demo/u/child")
            await #expect(throws: APIError.self) { try await TokenAuthority(secret: TokenAuthority.developmentSecret).verify(token) }
        }
    }

    @Test func aServiceTokenIsForItsFamilyOrEveryFamily() async throws {
        let secret = String(repeating: "s", count: 32)
        let authority = try await TokenAuthority(secret: secret)
        let environment = ["FLIMMER_JWT_SECRET": secret]
        let scoped = try await Self.mint(["--role", "service", "--user", "billing", "--family", "demo"], environment: environment)
        #expect(try await authority.verifyService(scoped) == ServiceCaller(user: UserID("billing")!, family: FamilyID("demo")!))
        let everyFamily = try await Self.mint(["--role", "service", "--user", "billing"], environment: environment)
        #expect(try await authority.verifyService(everyFamily) == ServiceCaller(user: UserID("billing")!, family: nil))
    }
}
