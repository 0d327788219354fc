import ContentQueue
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle

/// Builds the `text/event-stream` response of one client.
public struct EventStream: Sendable {
    let hub: EventHub
    let store: ContentQueueStore

    public init(hub: EventHub, store: ContentQueueStore) {
        self.hub = hub
        self.store = store
    }

    /// A stream that is registered and has its opening frames, but no response yet.
    public struct Opened: Sendable {
        /// The hub's handle on the stream; ``EventHub/close(_:)`` it when it ends.
        public let handle: StreamHandle
        /// `retry:` and what the client's Last-Event-ID calls for; the first bytes of the body.
        public let opening: ByteBuffer
    }

    /// The headers of every event-stream response.
    public static var responseHeaders: HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        // The connection closes when the stream ends (client left, lifetime, shutdown); saying
        // so up front keeps clients from putting it back in a keep-alive pool and reusing it.
        headers[.connection] = "close"
        return headers
    }

    /// Opens a stream for `user` of `family` (within the hub's caps) on `channel`, whose
    /// pipeline must hold an ``SSEStreamHandler``, and reads the family's version.
    ///
    /// Throws (before any byte is sent) when a cap is reached or Redis cannot be read; the
    /// stream is then released.
    ///
    /// - Parameters:
    ///   - keys: the query keys whose invalidations the stream wants; nil for all.
    ///   - until: when the client's credential stops being accepted; the stream ends then if
    ///     its lifetime has not ended it before.
    public func open(
        family: FamilyID, user: String, lastEventID: String?, keys: Set<String>? = nil,
        until: ContinuousClock.Instant? = nil, channel: any Channel
    ) async throws -> Opened {
        let stream = try await hub.open(family: family, user: user, keys: keys, until: until, channel: channel)
        do {
            let current = try await store.currentVersion(family: family)
            return Opened(handle: stream, opening: hub.openingFrames(for: stream.ticket, current: current, lastEventID: lastEventID))
        } catch {
            hub.close(stream)
            throw error
        }
    }

    /// The response of an opened stream, written by Hummingbird's writer: it relays events until
    /// the client leaves, the stream stalls or expires, or the gateway shuts down.
    ///
    /// Connections that open a stream as their first request take the faster path in the
    /// server's `StreamRouter`, which needs no task per stream; this one serves the rest.
    public func response(for opened: Opened) -> Response {
        let hub = self.hub
        let stream = opened.handle
        let opening = opened.opening
        let body = ResponseBody { writer in
            defer { hub.close(stream) }
            // Once this write has returned it is queued on the loop ahead of anything the
            // stream's handler writes.
            try await writer.write(opening)
            let reason = await withGracefulShutdownHandler {
                await stream.run()
            } onGracefulShutdown: {
                stream.finish(.shutdown)
            }
            guard let farewell = SSEFrame.farewell(for: reason) else { return }
            try await writer.write(farewell)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: Self.responseHeaders, body: body)
    }
}
