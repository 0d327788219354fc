import ContentQueue
import Gateway
import HTTPTypes
import Hummingbird

/// `GET /api/events`: the family's invalidation stream.
struct EventsController: Sendable {
    let stream: EventStream
    let auth: Authenticator

    func register(on router: Router<some RequestContext>) {
        router.get("/api/events") { request, _ in try await events(request) }
    }

    func events(_ request: Request) async throws -> Response {
        let principal = try await auth.principal(request, allowQuery: true, roles: [.parent, .child])
        let lastEventID = request.headers[HTTPField.Name("Last-Event-ID")!] ?? request.uri.queryParameters["lastEventId"].map(String.init)
        return try await stream.response(family: principal.family, lastEventID: lastEventID, request: request)
    }
}
