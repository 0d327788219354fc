import ContentQueue
import Foundation
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
        let keys = try Self.keys(request.uri.queryParameters["keys"].map(String.init))
        return try await stream.open(
            family: principal.family, user: principal.user.rawValue, lastEventID: lastEventID, keys: keys,
            until: principal.validUntil.map { ContinuousClock.now + .milliseconds(Int64($0.timeIntervalSinceNow * 1000)) },
            channel: channel
        )
    }

    /// `?keys=contentQueue,profile`: the query keys a client wants invalidations of; nil for all.
    static func keys(_ parameter: String?) throws -> Set<String>? {
        guard let parameter else { return nil }
        let names = parameter.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard names.count <= 32, !names.isEmpty else { throw APIError.invalidField("keys", "must list 1-32 query keys") }
        var keys: Set<String> = []
        for name in names {
            guard let key = QueryKey(name) else {
                throw APIError.invalidField("keys", "must be comma-separated query keys (1-64 of A-Z a-z 0-9 _ -, starting with a letter)")
            }
            keys.insert(key.rawValue)
        }
        return keys
    }
}
