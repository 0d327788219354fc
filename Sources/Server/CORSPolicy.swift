import HTTPTypes
import Hummingbird

/// CORS for browser clients, from an explicit list of allowed origins.
///
/// There is no wildcard: every origin is named. Credentials (cookies) are never allowed;
/// the API authenticates with bearer tokens, which a page sends itself.
struct CORSPolicy<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: Set<String>

    static var allowedMethods: String { "GET, POST, OPTIONS" }
    static var allowedHeaders: String { "Authorization, Content-Type, Idempotency-Key, If-None-Match, Last-Event-ID" }
    static var exposedHeaders: String { "ETag, Idempotent-Replayed, Retry-After" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else {
            return try await next(request, context)
        }
        let allowed = allowedOrigins.contains(origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard allowed else {
                throw APIError(.forbidden, code: "origin_not_allowed", message: "this origin may not call the API")
            }
            var headers: HTTPFields = [:]
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = Self.allowedMethods
            headers[.accessControlAllowHeaders] = Self.allowedHeaders
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = APIError.from(error).jsonResponse
        }
        for field in Self.responseHeaders(origin: origin, allowed: allowed) { response.headers[field.name] = field.value }
        return response
    }

    /// What every non-preflight response to a request from `origin` carries.
    static func responseHeaders(origin: String, allowed: Bool) -> HTTPFields {
        var headers: HTTPFields = [:]
        if allowed {
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlExposeHeaders] = exposedHeaders
        }
        headers[.vary] = "Origin"
        return headers
    }
}
