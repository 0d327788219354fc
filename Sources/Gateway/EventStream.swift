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

    /// Registers a stream for `user` of `family` (within the hub's caps), reads the family's version, and returns the response
    /// whose body relays events until the client leaves or the gateway shuts down.
    ///
    /// Throws (before any byte is sent) when Redis cannot be read; the stream is then released.
    ///
    /// - Parameter abortConnection: closes the client's connection; called when a write stays
    ///   blocked past ``EventHubConfiguration/maxWriteStall``.
    public func response(
        family: FamilyID, user: String, lastEventID: String?, request: Request, abortConnection: @escaping @Sendable () -> Void
    ) async throws -> Response {
        let mailbox = try hub.register(family: family, user: user)
        mailbox.onAbort(abortConnection)
        let opening: ByteBuffer
        do {
            let current = try await store.currentVersion(family: family)
            opening = hub.openingFrames(for: mailbox, current: current, lastEventID: lastEventID)
        } catch {
            hub.unregister(mailbox)
            throw error
        }
        let hub = self.hub
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        // The connection closes when the stream ends (client left, lifetime, shutdown); saying
        // so up front keeps clients from putting it back in a keep-alive pool and reusing it.
        headers[.connection] = "close"
        let body = ResponseBody { writer in
            defer { hub.unregister(mailbox) }
            do {
                try await withGracefulShutdownHandler {
                    // Cancelled the moment the client's side of the connection closes,
                    // so a departed client's stream is released at once, not at the next write.
                    try await request.body.consumeWithCancellationOnInboundClose { _ in
                        try await Self.write(opening, to: &writer, mailbox: mailbox)
                        while true {
                            let batch = await mailbox.next()
                            if batch.buffer.readableBytes > 0 { try await Self.write(batch.buffer, to: &writer, mailbox: mailbox) }
                            switch batch.close {
                            case .shutdown?:
                                try await writer.write(SSEFrame.comment("server shutting down; reconnect with Last-Event-ID"))
                                return
                            case .lifetime?:
                                try await writer.write(SSEFrame.comment("stream lifetime reached; reconnect with Last-Event-ID"))
                                return
                            case .cancelled?, .stalled?:
                                return
                            case nil:
                                continue
                            }
                        }
                    }
                } onGracefulShutdown: {
                    mailbox.close(.shutdown)
                }
            } catch {
                // A departed client (cancellation) or a stalled one (its connection was closed
                // under the write) ends the stream quietly; anything else is reported.
                if error is CancellationError || mailbox.closeReason != nil { return }
                throw error
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    private static func write(_ buffer: ByteBuffer, to writer: inout any ResponseBodyWriter, mailbox: StreamMailbox) async throws {
        mailbox.writeStarted()
        defer { mailbox.writeFinished() }
        try await writer.write(buffer)
    }
}
