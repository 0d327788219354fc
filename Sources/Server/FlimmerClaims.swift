import Foundation
import JWTKit

/// The claims of a FlimmerSync bearer token: `sub`, `fam`, `role`, `exp`.
struct FlimmerClaims: JWTPayload, Equatable {
    var sub: SubjectClaim
    var fam: String
    var role: String
    var exp: ExpirationClaim

    /// Allowed difference between the issuer's clock and ours when checking `exp`.
    static let clockSkew: TimeInterval = 30

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired(currentDate: Date().addingTimeInterval(-Self.clockSkew))
    }
}
