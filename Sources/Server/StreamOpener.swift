import Gateway
import HTTPTypes
import Hummingbird
import NIOCore

/// Opens an event stream for a request head outside Hummingbird's router (see ``StreamRouter``),
/// with the same authentication, caps and catch-up as the `/api/events` route, the response
/// headers that route's middleware would have added (CORS, `X-Request-Id`), and its count in
/// `flimmer_http_requests_total`.
struct StreamOpener: Sendable {
    /// A stream ready to be answered: its handle and opening frames, and the response headers.
    struct Opened: Sendable {
        let stream: EventStream.Opened
        let headers: HTTPFields
    }

    let events: EventsController
    let hub: EventHub
    let metrics: HTTPMetrics
    /// The CORS origins when CORS is on, else nil.
    let corsOrigins: Set<String>?

    func open(_ head: HTTPRequest, channel: any Channel) async throws -> Opened {
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
        let stream = try await events.open(request, channel: channel)
        var headers = EventStream.responseHeaders
        headers[RequestIDs.header] = RequestIDs.id(for: head.headerFields)
        if let corsOrigins, let origin = head.headerFields[.origin] {
            let cors = CORSPolicy<FlimmerRequestContext>.responseHeaders(origin: origin, allowed: corsOrigins.contains(origin))
            for field in cors { headers[field.name] = field.value }
        }
        // A stream that fails to open is replayed into Hummingbird, whose middleware counts it.
        metrics.record(route: Self.route, status: 200)
        return Opened(stream: stream, headers: headers)
    }

    /// The route pattern Hummingbird's router reports for the stream.
    static let route = "/api/events"

    func close(_ handle: StreamHandle) {
        hub.close(handle)
    }
}
