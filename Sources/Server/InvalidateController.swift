import ContentQueue
import Hummingbird

/// `POST /api/invalidate`: any backend service with a service token advances a query key's
/// version for a family and publishes the invalidation, in one MULTI/EXEC.
struct InvalidateController: Sendable {
    let store: ContentQueueStore
    let auth: Authenticator
    let bodies: RequestBodyReader
    let mutations: MutationRequests

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
        let read = try await bodies.read(request)
        let body = try InvalidateRequest(read.object)
        guard caller.mayInvalidate(body.family) else {
            throw APIError.forbidden("this service token is for another family")
        }
        let idempotency = try mutations.idempotency(request, user: caller.user, route: "POST /api/invalidate", body: read.bytes)
        return try await mutations.answer {
            try await store.invalidate(family: body.family, key: body.key, reason: body.reason, idempotency: idempotency)
        } body: {
            Body(family: body.family.rawValue, key: body.key.rawValue, version: $0)
        }
    }
}
