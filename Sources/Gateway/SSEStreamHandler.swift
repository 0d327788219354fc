import NIOCore
import NIOHTTPTypes

/// The write side of one SSE stream, living in its connection's channel pipeline.
///
/// Every HTTP/1 connection carries one (it does nothing until the connection becomes an event
/// stream). Once a stream is open, ``LoopFanout`` hands it frames on the connection's own event
/// loop and it writes them straight into the pipeline: no task, no async sequence and no
/// event-loop hop per stream per event. All its state is touched on that loop only.
///
/// Backpressure: while the channel is writable, frames are written at once and flushed once
/// per batch. While it is not (the client reads slower than events come), up to
/// ``capacity`` frames wait here, the oldest dropped first (each invalidation supersedes the
/// ones before it), and they go out when the channel becomes writable again. A channel that
/// stays unwritable past the hub's stall limit is closed by ``sweep(now:stallDeadline:)``.
public final class SSEStreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    enum Phase {
        /// A plain HTTP connection, or a stream whose response has not started: frames wait.
        case waiting
        /// The response head and opening frames are out: frames are written as they come.
        case live
        /// The stream ended; nothing more is written.
        case closed(StreamCloseReason)
    }

    /// Frames kept at most while the client cannot take more.
    let capacity: Int
    private var context: ChannelHandlerContext?
    private(set) var phase = Phase.waiting
    private(set) var ticket: StreamTicket?
    /// This stream's index in its family's array in ``LoopFanout``.
    var slot = -1
    /// The query keys the stream wants, or nil for all (copied from its ticket for the fan-out loop).
    private(set) var keys: Set<String>?
    private var backlog: [ByteBuffer] = []
    private var unwritableSince: NIODeadline?
    /// The channel's writability as its last change reported it; kept here because asking the
    /// channel (an atomic read behind two indirections) was a visible share of the fan-out's CPU.
    private var writable = true
    private var needsFlush = false
    private var onClose: ((StreamCloseReason) -> Void)?
    /// Frames go out as plain bytes (the HTTP codec has left the pipeline), not as body parts.
    private var raw = false

    public init(capacity: Int = 16) {
        self.capacity = max(1, capacity)
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        finish(.cancelled)
        self.context = nil
    }

    public func channelInactive(context: ChannelHandlerContext) {
        // The client went away: release the stream now rather than at the next write.
        finish(.cancelled)
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The server allows half-closure, so a client that closes its side shows up as this
        // event, not as an inactive channel. An event-stream client never half-closes to wait
        // for more: it has left. Release the stream now rather than at the next failed write.
        if case .inputClosed? = event as? ChannelEvent, ticket != nil {
            finish(.cancelled)
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
        if writable, case .live = phase {
            unwritableSince = nil
            writeBacklog()
            flushIfNeeded()
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Driven by the hub, on this channel's event loop

    /// Marks the connection as carrying `ticket`'s stream; frames queue until ``goLive(onClose:)``.
    func begin(_ ticket: StreamTicket) {
        self.ticket = ticket
        self.keys = ticket.keys
        phase = .waiting
    }

    /// Starts writing: first what queued since ``begin(_:)``, then every frame as it comes.
    /// `onClose` is called once, when the stream ends for any reason.
    ///
    /// With `raw`, frames are written as plain bytes: the caller has removed the HTTP codec and
    /// sent a response whose body ends with the connection, so each frame is one buffer shared by
    /// every stream, with no chunk framing to add per stream.
    func goLive(raw: Bool = false, onClose: @escaping (StreamCloseReason) -> Void) {
        self.raw = raw
        if case .closed(let reason) = phase {
            onClose(reason)
            return
        }
        self.onClose = onClose
        phase = .live
        writeBacklog()
        flushIfNeeded()
    }

    /// Writes `frame` now if the client can take it, else keeps it (bounded). With `flush`, it
    /// leaves at once; without, call ``flushIfNeeded()`` after the batch.
    func send(_ frame: ByteBuffer, flush: Bool = false) {
        switch phase {
        case .closed:
            return
        case .waiting:
            keep(frame)
        case .live:
            guard writable, backlog.isEmpty, let context else {
                keep(frame)
                if unwritableSince == nil { unwritableSince = .now() }
                return
            }
            if flush, !needsFlush {
                // One pass down the pipeline instead of two.
                if raw {
                    context.writeAndFlush(NIOAny(IOData.byteBuffer(frame)), promise: nil)
                } else {
                    context.writeAndFlush(wrapOutboundOut(.body(frame)), promise: nil)
                }
            } else {
                write(frame, context: context)
                if flush { flushIfNeeded() }
            }
        }
    }

    private func write(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        if raw {
            context.write(NIOAny(IOData.byteBuffer(buffer)), promise: nil)
        } else {
            context.write(wrapOutboundOut(.body(buffer)), promise: nil)
        }
        needsFlush = true
    }

    /// Flushes what ``send(_:)`` wrote since the last flush.
    func flushIfNeeded() {
        guard needsFlush else { return }
        needsFlush = false
        context?.flush()
    }

    /// Ends the stream: the request's task then writes its last words and finishes the response.
    /// The first reason wins.
    func finish(_ reason: StreamCloseReason) {
        if case .closed = phase { return }
        phase = .closed(reason)
        backlog.removeAll()
        let onClose = self.onClose
        self.onClose = nil
        onClose?(reason)
    }

    /// Closes the connection if it has been unwritable since before `stallDeadline`, and ends the
    /// stream if it outlived its lifetime. Returns what it did, if anything.
    func sweep(now: ContinuousClock.Instant, stallDeadline: NIODeadline) -> StreamCloseReason? {
        guard case .live = phase, let ticket else { return nil }
        if let since = unwritableSince, since < stallDeadline {
            finish(.stalled)
            // Closing the channel drops what NIO still holds for a client that stopped reading.
            context?.close(promise: nil)
            return .stalled
        }
        if ticket.expiresAt <= now {
            let reason: StreamCloseReason = ticket.endsWithCredential ? .credentialExpired : .lifetime
            finish(reason)
            return reason
        }
        return nil
    }

    private func keep(_ frame: ByteBuffer) {
        if backlog.count >= capacity {
            backlog.removeFirst()
        }
        backlog.append(frame)
    }

    private func writeBacklog() {
        guard !backlog.isEmpty, writable, let context else { return }
        // Frames that piled up go out as one write, as Redis does for a client that fell behind.
        var joined: ByteBuffer
        if backlog.count == 1 {
            joined = backlog[0]
        } else {
            joined = context.channel.allocator.buffer(capacity: backlog.reduce(0) { $0 + $1.readableBytes })
            for var frame in backlog { joined.writeBuffer(&frame) }
        }
        backlog.removeAll()
        write(joined, context: context)
    }
}
