import ContentQueue
import Foundation
import JWTKit

/// Issues and verifies HS256 bearer tokens.
///
/// Verification is strict: the header must say `HS256`, the signature must match, `exp`
/// must be present and not past (with ``FlimmerClaims/clockSkew``), and `sub`, `fam` and
/// `role` must be present and valid. Every failure is the same 401 to the client; the
/// token itself is never logged or echoed.
public struct TokenAuthority: Sendable {
    /// The fixed secret of `--dev`. Public knowledge: never use it in production.
    public static let developmentSecret = "flimmer-sync-development-secret-not-for-production"

    /// The shortest secret accepted: HS256 wants a key at least as long as its 32-byte output.
    public static let minimumSecretBytes = 32

    /// Raised for a secret shorter than ``minimumSecretBytes``.
    public struct WeakSecret: Error, CustomStringConvertible {
        public let description = "the JWT secret must be at least \(TokenAuthority.minimumSecretBytes) bytes"
    }

    private let keys: JWTKeyCollection

    /// Throws ``WeakSecret`` for a secret too short to sign with.
    public static func check(secret: String) throws(WeakSecret) {
        guard secret.utf8.count >= minimumSecretBytes else { throw WeakSecret() }
    }

    public init(secret: String) async throws {
        try Self.check(secret: secret)
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
    }

    /// Signs a token for `principal` that expires after `ttl`.
    public func issue(for principal: Principal, ttl: TimeInterval) async throws -> String {
        let claims = FlimmerClaims(
            sub: SubjectClaim(value: principal.user.rawValue),
            fam: principal.family.rawValue,
            role: principal.role.rawValue,
            exp: ExpirationClaim(value: Date().addingTimeInterval(ttl))
        )
        return try await keys.sign(claims, header: ["typ": "JWT"])
    }

    /// Signs a service token for `user`, valid for `family` or, when nil, for every family (`fam` `*`).
    public func issueService(user: UserID, family: FamilyID?, ttl: TimeInterval) async throws -> String {
        let claims = FlimmerClaims(
            sub: SubjectClaim(value: user.rawValue),
            fam: family?.rawValue ?? Self.allFamilies,
            role: Role.service.rawValue,
            exp: ExpirationClaim(value: Date().addingTimeInterval(ttl))
        )
        return try await keys.sign(claims, header: ["typ": "JWT"])
    }

    /// The `fam` of a service token valid for every family.
    public static let allFamilies = "*"

    /// Verifies a service token and returns its holder; throws a 401 ``APIError`` for an invalid
    /// token and a 403 for a valid one of another role.
    public func verifyService(_ token: String) async throws -> ServiceCaller {
        let claims = try await verifiedClaims(token)
        guard claims.role == Role.service.rawValue else {
            throw APIError.forbidden("this route is open to service tokens only")
        }
        guard let user = UserID(claims.sub.value) else { throw APIError.unauthorized("the token's claims are invalid") }
        if claims.fam == Self.allFamilies { return ServiceCaller(user: user, family: nil) }
        guard let family = FamilyID(claims.fam) else { throw APIError.unauthorized("the token's claims are invalid") }
        return ServiceCaller(user: user, family: family)
    }

    /// Verifies `token` and returns who holds it; throws a 401 ``APIError`` otherwise.
    public func verify(_ token: String) async throws -> Principal {
        let claims = try await verifiedClaims(token)
        if claims.role == Role.service.rawValue {
            throw APIError.forbidden("a service token opens POST /api/invalidate only")
        }
        guard let family = FamilyID(claims.fam), let user = UserID(claims.sub.value), let role = Role(rawValue: claims.role) else {
            throw APIError.unauthorized("the token's claims are invalid")
        }
        return Principal(family: family, user: user, role: role, validUntil: claims.exp.value.addingTimeInterval(FlimmerClaims.clockSkew))
    }

    private func verifiedClaims(_ token: String) async throws -> FlimmerClaims {
        guard Self.headerAlgorithm(of: token) == "HS256" else {
            throw APIError.unauthorized("the token must be an HS256 JWT")
        }
        do {
            return try await keys.verify(token, as: FlimmerClaims.self)
        } catch {
            throw APIError.unauthorized("the token is invalid or expired")
        }
    }

    /// The `alg` of a compact JWS header, read before any verification.
    static func headerAlgorithm(of token: String) -> String? {
        guard let headerPart = token.split(separator: ".", omittingEmptySubsequences: false).first,
            let data = Data(base64URLEncoded: String(headerPart)),
            let header = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return header["alg"] as? String
    }
}

extension Data {
    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
