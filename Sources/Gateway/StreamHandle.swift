import NIOCore

/// An open stream as its request sees it: the ticket the hub counts, and the pipeline
/// handler on the connection's event loop that writes its frames.
public struct StreamHandle: Sendable {
    /// Who holds the stream, for which family, until when.
    public let ticket: StreamTicket
    let fanout: LoopFanout
    let handler: NIOLoopBound<SSEStreamHandler>

    /// Starts relaying events (after the opening frames, which the caller has written) and
    /// waits until the stream ends: the client left, it stalled or expired, or the gateway shuts down.
    /// Cancelling the waiting task ends the stream too.
    public func run() async -> StreamCloseReason {
        let handler = self.handler
        let loop = fanout.eventLoop
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<StreamCloseReason, Never>) in
                loop.execute { handler.value.goLive { continuation.resume(returning: $0) } }
            }
        } onCancel: {
            finish(.cancelled)
        }
    }

    /// Starts relaying events; call on the stream's event loop, after writing the opening frames.
    /// `onClose` runs there once, when the stream ends. With `raw`, frames are written as plain
    /// bytes: the caller has taken the HTTP codec out of the pipeline.
    public func goLiveOnLoop(raw: Bool, onClose: @escaping (StreamCloseReason) -> Void) {
        handler.value.goLive(raw: raw, onClose: onClose)
    }

    /// Ends the stream from any thread; ``run()`` then returns `reason` (unless it ended already).
    public func finish(_ reason: StreamCloseReason) {
        let handler = self.handler
        fanout.eventLoop.execute { handler.value.finish(reason) }
    }
}
