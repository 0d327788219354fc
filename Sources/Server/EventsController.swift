import ContentQueue
import Gateway
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /api/events`: the family's invalidation stream.
struct EventsController: Sendable {
    let stream: EventStream
    let auth: Authenticator

    func register(on router: Router<FlimmerRequestContext>) {
        router.get("/api/events") { request, context in try await events(request, channel: context.channel) }
    }

    func events(_ request: Request, channel: any Channel) async throws -> Response {
        stream.response(for: try await open(request, channel: channel))
    }

    /// Authenticates the request and opens its stream on `channel`; shared by this route and
    /// the connection-level fast path (`StreamRouter`).
    func open(_ request: Request, channel: any Channel) async throws -> EventStream.Opened {
        let principal = try await auth.principal(request, allowQuery: true, roles: [.parent, .child])
        let lastEventID = request.headers[HTTPField.Name("Last-Event-ID")!] ?? request.uri.queryParameters["lastEventId"].map(String.init)
        return try await stream.open(family: principal.family, user: principal.user.rawValue, lastEventID: lastEventID, channel: channel)
    }
}
