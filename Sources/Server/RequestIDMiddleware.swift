import HTTPTypes
import Hummingbird
import Logging

/// Gives every request an id (``RequestIDs``), puts it in the request's logger as `request_id`
/// and echoes it in the `X-Request-Id` response header, error responses included.
///
/// It is the outermost middleware, so that every other middleware's log lines carry the id.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = RequestIDs.id(for: request.headers)
        var context = context
        // Hummingbird's own per-request id would be a second, different id in every line.
        context.logger[metadataKey: "hb.request.id"] = nil
        context.logger[metadataKey: "request_id"] = .string(id)
        do {
            var response = try await next(request, context)
            response.headers[RequestIDs.header] = id
            return response
        } catch let error as any HTTPResponseError {
            // ErrorMiddleware answers every error itself; this is for one that got past it.
            var response = try error.response(from: request, context: context)
            response.headers[RequestIDs.header] = id
            return response
        }
    }
}
