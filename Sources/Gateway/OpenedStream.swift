import ContentQueue
import NIOCore

/// A stream the hub has registered, with the bytes its response must start with.
///
/// The server writes the response head and ``opening``, then calls ``goLive()`` (or ``run()``)
/// on the stream's event loop. From then on the stream lives in its pipeline handler and ends
/// by itself; nothing calls back into the server.
public struct OpenedStream: Sendable {
    /// Who holds the stream, for which family, until when.
    public let ticket: StreamTicket
    /// `retry:` and what the client's Last-Event-ID calls for: the first bytes of the body.
    public let opening: ByteBuffer
    /// The family's state ``opening`` announced.
    let openedAt: FamilyVersion
    let handler: NIOLoopBound<SSEStreamHandler>

    /// The event loop the stream lives on.
    public var eventLoop: any EventLoop { handler.eventLoop }

    /// Starts relaying: what queued while the stream opened, then every event. Call on the
    /// stream's event loop once the response head and ``opening`` are written, or pass them as
    /// `head` for the stream to write first: on a close-delimited connection it must, because
    /// frames may then bypass the pipeline and only the stream knows when its bytes are out.
    public func goLive(head: ByteBuffer? = nil) {
        handler.value.goLive(after: openedAt, head: head)
    }

    /// Goes live and waits until the stream ends, for a server that finishes the response itself
    /// afterwards (``StreamFraming/wrapped(_:)``). Cancelling the waiting task ends the stream.
    public func run() async -> StreamCloseReason {
        let handler = self.handler
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<StreamCloseReason, Never>) in
                handler.eventLoop.execute { handler.value.goLive(after: openedAt) { continuation.resume(returning: $0) } }
            }
        } onCancel: {
            finish(.cancelled)
        }
    }

    /// Ends the stream from any thread, for example one whose response could not start.
    public func finish(_ reason: StreamCloseReason) {
        let handler = self.handler
        handler.eventLoop.execute { handler.value.finish(reason) }
    }
}
