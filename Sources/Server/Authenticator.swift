import Foundation
import Hummingbird

/// Finds and verifies the bearer token of a request, and checks the route's roles.
struct Authenticator: Sendable {
    let tokens: TokenAuthority

    /// `Authorization: Bearer <token>`, or, where `allowQuery` (the event stream, since
    /// browsers' EventSource cannot send headers), `?access_token=<token>`.
    func principal(_ request: Request, allowQuery: Bool = false, roles: Set<Role>) async throws -> Principal {
        let principal = try await tokens.verify(try bearerToken(request, allowQuery: allowQuery))
        guard roles.contains(principal.role) else {
            throw APIError.forbidden("this route is not open to the \(principal.role.rawValue) role")
        }
        return principal
    }

    /// The holder of the request's service token (`Authorization` header only).
    func service(_ request: Request) async throws -> ServiceCaller {
        try await tokens.verifyService(try bearerToken(request, allowQuery: false))
    }

    private func bearerToken(_ request: Request, allowQuery: Bool) throws -> String {
        let token: String
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw APIError.unauthorized("the Authorization header must be 'Bearer <token>'")
            }
            token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        } else if allowQuery, let query = request.uri.queryParameters["access_token"] {
            token = String(query)
        } else {
            throw APIError.unauthorized("a bearer token is required")
        }
        return token
    }
}
