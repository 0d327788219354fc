import ContentQueue
import Foundation
import JWTKit
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
        let verified = try await authority.verify(token)
        #expect(verified.family == principal.family && verified.user == principal.user && verified.role == principal.role)
        // Accepted until exp plus the 30 s skew (exp is whole seconds).
        let validUntil = try #require(verified.validUntil)
        #expect(abs(validUntil.timeIntervalSinceNow - 90) <= 2)
    }

    @Test func expiryAllowsTheDocumentedClockSkewOnly() async throws {
        let authority = try await TokenAuthority(secret: TokenAuthority.developmentSecret)
        let principal = Principal(family: FamilyID("demo")!, user: UserID("mom")!, role: .parent)
        // Expired 10 s ago: inside the 30 s skew.
        #expect(try await authority.verify(try await authority.issue(for: principal, ttl: -10)).user == principal.user)
        // Expired 60 s ago: refused.
        let error = try await #require(throws: APIError.self) { try await authority.verify(try await authority.issue(for: principal, ttl: -60)) }
        #expect(error.status == .unauthorized)
    }
}

/// Tokens signed with the right secret and algorithm whose claims are still wrong: each is a 401.
@Suite("Token claims")
struct TokenClaimTests {
    struct Partial: JWTPayload {
        var sub: String?
        var fam: String?
        var role: String?
        var exp: Int?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static let future = Int(Date().timeIntervalSince1970) + 600

    static let cases: [(String, Partial)] = [
        ("no fam", Partial(sub: "mom", fam: nil, role: "parent", exp: future)),
        ("no sub", Partial(sub: nil, fam: "demo", role: "parent", exp: future)),
        ("no role", Partial(sub: "mom", fam: "demo", role: nil, exp: future)),
        ("no exp", Partial(sub: "mom", fam: "demo", role: "parent", exp: nil)),
        ("unknown role", Partial(sub: "mom", fam: "demo", role: "admin", exp: future)),
        ("family with a hash tag", Partial(sub: "mom", fam: "de{mo}", role: "parent", exp: future)),
        ("family with a wildcard", Partial(sub: "mom", fam: "*", role: "parent", exp: future)),
        ("user with a newline", Partial(sub: "mom\nx", fam: "demo", role: "parent", exp: future)),
        ("long expired", Partial(sub: "mom", fam: "demo", role: "parent", exp: future - 3600)),
    ]

    @Test(arguments: cases.map(\.0))
    func isRejected(name: String) async throws {
        let claims = try #require(Self.cases.first { $0.0 == name }?.1)
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: TokenAuthority.developmentSecret), digestAlgorithm: .sha256)
        let token = try await keys.sign(claims)
        let authority = try await TokenAuthority(secret: TokenAuthority.developmentSecret)
        let error = try await #require(throws: APIError.self) { try await authority.verify(token) }
        #expect(error.status == .unauthorized)
        #expect(error.code == "unauthorized")
        #expect(!error.message.contains(token))
    }
}
