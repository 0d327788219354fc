import ContentQueue
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import ServiceLifecycle

/// `GET /api/events`: the family's invalidation stream.
///
/// A stream that is its connection's first request (as for EventSource and `curl -N`) opens
/// through ``StreamEntrance`` and never reaches the router; this route serves the rest (a stream
/// asked for on a keep-alive connection), chunked through Hummingbird's response writer. Both
/// open the stream here, with the same authentication, caps and catch-up.
struct EventsController: Sendable {
    let hub: EventHub
    let store: ContentQueueStore
    /// Follows a stream's family before its version is read (sharded pub/sub).
    let subscriber: InvalidationSubscriber
    let auth: Authenticator
    /// Stream tickets (`POST /api/events/ticket`, `?ticket=`).
    let tickets: EventsTicketStore
    let metrics: HTTPMetrics
    /// The CORS origins when CORS is on, else nil.
    let corsOrigins: Set<String>?
    /// ``EventHubConfiguration/maxQueuedFrames``, for each stream's handler.
    var maxQueuedFrames: Int { hub.configuration.maxQueuedFrames }

    /// The route pattern Hummingbird's router reports for the stream.
    static let route = "/api/events"

    /// The headers of every event-stream response.
    static var responseHeaders: HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        // The connection closes when the stream ends (client left, lifetime, shutdown); saying
        // so up front keeps clients from putting it back in a keep-alive pool and reusing it.
        headers[.connection] = "close"
        return headers
    }

    func register(on router: Router<FlimmerRequestContext>) {
        router.get(RouterPath(Self.route)) { request, context in try await events(request, channel: context.channel) }
        router.post(RouterPath(Self.ticketRoute)) { request, _ in try await issueTicket(request) }
    }

    /// A stream on a connection that Hummingbird serves: its frames go through the HTTP codec,
    /// chunked, and the response ends after the stream.
    func events(_ request: Request, channel: any Channel) async throws -> Response {
        let handler = try await channel.eventLoop.submit {
            let handler = SSEStreamHandler(
                framing: .wrapped { NIOAny(HTTPResponsePart.body($0)) },
                maxQueuedFrames: maxQueuedFrames
            )
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(handler, position: .after(try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)))
            return NIOLoopBound(handler, eventLoop: channel.eventLoop)
        }.get()
        let stream: OpenedStream
        do {
            stream = try await open(request, handler: handler)
        } catch {
            channel.eventLoop.execute { channel.pipeline.syncOperations.removeHandler(handler.value, promise: nil) }
            throw error
        }
        let body = ResponseBody { writer in
            defer { stream.finish(.cancelled) }
            // Once this write has returned it is queued on the loop ahead of anything the
            // stream's handler writes.
            try await writer.write(stream.opening)
            _ = await withGracefulShutdownHandler {
                await stream.run()
            } onGracefulShutdown: {
                stream.finish(.shutdown)
            }
            // The handler has written the farewell; the response ends, and with it the connection.
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: Self.responseHeaders, body: body)
    }

    /// Authenticates `request` and opens its stream on `handler`, within the hub's caps; the
    /// family's version is read from Redis after the stream is registered. Throws before any
    /// byte is sent.
    func open(_ request: Request, handler: NIOLoopBound<SSEStreamHandler>) async throws -> OpenedStream {
        let (principal, keys) = try await streamHolder(request)
        let streamRequest = StreamRequest(
            family: principal.family,
            user: principal.user,
            keys: keys,
            lastEventID: request.headers[HTTPField.Name("Last-Event-ID")!] ?? request.uri.queryParameters["lastEventId"].map(String.init),
            credentialExpiry: principal.validUntil.map { ContinuousClock.now + .milliseconds(Int64($0.timeIntervalSinceNow * 1000)) }
        )
        let store = self.store
        let subscriber = self.subscriber
        return try await hub.open(streamRequest, handler: handler) { family in
            // Sharded pub/sub: the family's channel is subscribed before its version is read, so
            // nothing published after the read is missed.
            try await subscriber.follow(family)
            return try await store.currentVersion(family: family)
        }
    }

    /// The headers of a stream opened outside the router, with what the router's middleware
    /// would have added (`X-Request-Id`, CORS); and its count in `flimmer_http_requests_total`.
    func fastPathHeaders(for head: HTTPRequest) -> HTTPFields {
        var headers = Self.responseHeaders
        headers[RequestIDs.header] = RequestIDs.id(for: head.headerFields)
        if let corsOrigins, let origin = head.headerFields[.origin] {
            let cors = CORSPolicy<FlimmerRequestContext>.responseHeaders(origin: origin, allowed: corsOrigins.contains(origin))
            for field in cors { headers[field.name] = field.value }
        }
        // A stream that fails to open is replayed into Hummingbird, whose middleware counts it.
        metrics.record(route: Self.route, status: 200)
        return headers
    }

    /// `?keys=contentQueue,profile`: the query keys a client wants invalidations of; nil for all.
    static func keys(_ parameter: String?) throws -> Set<QueryKey>? {
        guard let parameter else { return nil }
        let names = parameter.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard names.count <= 32, !names.isEmpty else { throw APIError.invalidField("keys", "must list 1-32 query keys") }
        var keys: Set<QueryKey> = []
        for name in names {
            guard let key = QueryKey(name) else {
                throw APIError.invalidField("keys", "must be comma-separated query keys (1-64 of A-Z a-z 0-9 _ -, starting with a letter)")
            }
            keys.insert(key)
        }
        return keys
    }
}
