import Hummingbird
import Logging

/// Turns every thrown error, including the router's own 404 and 405, into the API's JSON error,
/// and logs each request without its query string (which may hold an access token).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let knownRoutes: KnownRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context, status: response.status.code, start: start)
            return response
        } catch let error as HTTPError where error.status == .notFound {
            // The router's own 404: a known path with another method is a 405.
            var apiError = APIError.from(error)
            if let methods = knownRoutes.methods(for: request.uri.path), !methods.contains(request.method) {
                let allow = methods.map(\.rawValue).joined(separator: ", ")
                apiError = APIError(
                    .methodNotAllowed,
                    code: "method_not_allowed",
                    message: "\(request.uri.path) takes \(allow)",
                    headers: [.allow: allow]
                )
            }
            log(request, context, status: apiError.status.code, start: start)
            return apiError.jsonResponse
        } catch {
            let apiError = APIError.from(error)
            if apiError.status.code >= 500 {
                context.logger.error(
                    "request failed",
                    metadata: ["path": "\(request.uri.path)", "code": "\(apiError.code)", "error": "\(error)"]
                )
            }
            log(request, context, status: apiError.status.code, start: start)
            return apiError.jsonResponse
        }
    }

    private func log(_ request: Request, _ context: Context, status: Int, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        context.logger.debug(
            "request",
            metadata: [
                "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(status)",
                "ms": "\(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)",
            ]
        )
    }
}
