import ContentQueue
import Server
import Testing

@Suite("Bearer tokens")
struct TokenTests {
    @Test func aSecretUnder32BytesIsRefused() async {
        await #expect(throws: TokenAuthority.WeakSecret.self) { try await TokenAuthority(secret: String(repeating: "s", count: 31)) }
    }

    @Test func issuedTokensVerifyToTheirPrincipal() async throws {
        let authority = try await TokenAuthority(secret: TokenAuthority.developmentSecret)
        let principal = Principal(family: FamilyID("demo")!, user: UserID("kid.1@home")!, role: .child)
        let token = try await authority.issue(for: principal, ttl: 60)
        #expect(try await authority.verify(token) == principal)
    }

    @Test func expiryAllowsTheDocumentedClockSkewOnly() async throws {
        let authority = try await TokenAuthority(secret: TokenAuthority.developmentSecret)
        let principal = Principal(family: FamilyID("demo")!, user: UserID("mom")!, role: .parent)
        // Expired 10 s ago: inside the 30 s skew.
        #expect(try await authority.verify(try await authority.issue(for: principal, ttl: -10)) == principal)
        // Expired 60 s ago: refused.
        let error = try await #require(throws: APIError.self) { try await authority.verify(try await authority.issue(for: principal, ttl: -60)) }
        #expect(error.status == .unauthorized)
    }
}
