import ContentQueue
import Hummingbird

/// `POST /api/invalidate`: any backend service with a service token advances a query key's
/// version for a family and publishes the invalidation, in one MULTI/EXEC.
struct InvalidateController: Sendable {
    let store: ContentQueueStore
    let auth: Authenticator
    let bodies: RequestBodyReader

    /// What the service gets back: the key's new version.
    private struct Body: Encodable {
        let family: String
        let key: String
        let version: Int
    }

    func register(on router: Router<FlimmerRequestContext>) {
        router.post("/api/invalidate") { request, _ in try await invalidate(request) }
    }

    func invalidate(_ request: Request) async throws -> Response {
        let caller = try await auth.service(request)
        let body = try InvalidateRequest(try await bodies.object(request))
        guard caller.mayInvalidate(body.family) else {
            throw APIError.forbidden("this service token is for another family")
        }
        let version = try await store.invalidate(family: body.family, key: body.key, reason: body.reason)
        return try JSONResponse.make(Body(family: body.family.rawValue, key: body.key.rawValue, version: version))
    }
}
