import HTTPTypes
import Hummingbird

/// Counts every request Hummingbird answers by route pattern and status (``HTTPMetrics``).
///
/// It sits outside ``ErrorMiddleware``, so that errors are counted with the status the client
/// got. Event streams served by the fast path never reach it; ``EventsController/fastPathHeaders(for:)`` counts those.
struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HTTPMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.record(route: Self.route(context), status: response.status.code)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.record(route: Self.route(context), status: status)
            throw error
        }
    }

    /// The matched pattern; the router sets it (to `NotFound` when nothing matched), and it
    /// is a reference, so what the inner responders set is seen here.
    static func route(_ context: Context) -> String {
        context.endpointPath ?? "unknown"
    }
}
