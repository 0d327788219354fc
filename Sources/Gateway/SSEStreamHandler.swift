import ContentQueue
import NIOCore

/// The write side of one SSE stream, living in its connection's channel pipeline.
///
/// The server makes one when a request opens a stream, puts it in the connection's pipeline and
/// hands it to ``EventHub/open(_:handler:current:)``. From then on ``LoopFanout`` hands it frames
/// on the connection's own event loop and it writes them straight into the pipeline: no task, no
/// async sequence and no event-loop hop per stream per event. All its state is touched on that
/// loop only. It knows no HTTP: ``StreamFraming`` says how its bytes go into the pipeline.
///
/// Backpressure: while the channel is writable, frames are written at once and flushed once
/// per batch. While it is not (the client reads slower than events come), up to
/// `maxQueuedFrames` wait here, the oldest dropped first (each invalidation supersedes the
/// ones before it), and they go out when the channel becomes writable again. A channel that
/// stays unwritable past the hub's stall limit is closed by ``sweep(now:stallDeadline:)``.
///
/// The stream ends by itself: the client leaves (or half-closes), it stalls, its lifetime or its
/// token runs out, or the server quiesces. It then writes its farewell comment, leaves the hub,
/// and with close-delimited framing closes the connection.
public final class SSEStreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    /// Reads pass through untouched (or are dropped: a stream's client has nothing to say).
    public typealias InboundIn = Any

    enum Phase {
        /// Registered with the hub, response not started yet: frames wait.
        case waiting
        /// The response head and opening frames are out: frames are written as they come.
        case live
        /// The stream ended; nothing more is written.
        case closed(StreamCloseReason)
    }

    let framing: StreamFraming
    /// Frames kept at most while the client cannot take more.
    let maxQueuedFrames: Int
    private var context: ChannelHandlerContext?
    private(set) var phase = Phase.waiting
    private(set) var ticket: StreamTicket?
    /// This stream's index in its family's array in ``LoopFanout``.
    var slot = -1
    /// Which heartbeat slice the stream is in (``LoopFanout`` takes `heartbeatSlice % slices`).
    var heartbeatSlice = 0
    /// The query keys the stream wants, or nil for all, as plain text for the fan-out loop.
    private(set) var keys: Set<String>?
    private var backlog: [ByteBuffer] = []
    private var unwritableSince: NIODeadline?
    /// The channel's writability as its last change reported it; kept here because asking the
    /// channel (an atomic read behind two indirections) was a visible share of the fan-out's CPU.
    private var writable = true
    private var needsFlush = false
    /// The socket, once the stream is live on a close-delimited connection: frames then go
    /// straight to it whenever NIO holds none of the stream's bytes (``StreamSocket`` says why).
    private var socket: StreamSocket?
    /// Writes of this stream still queued in NIO; frames bypass the pipeline only at zero.
    /// Counted only while there is a `socket`.
    private var pipelineWrites = 0
    /// Frames of the current drain waiting for one direct send at the flush.
    private var unsent: [ByteBuffer] = []
    /// Takes the stream off the hub's books; set by the hub, called once.
    private var onEnd: ((StreamCloseReason) -> Void)?
    /// Whoever waits for the end (``OpenedStream/run()``).
    private var waiter: ((StreamCloseReason) -> Void)?

    /// - Parameters:
    ///   - framing: how frames go into the pipeline, as the server's response needs them.
    ///   - maxQueuedFrames: ``EventHubConfiguration/maxQueuedFrames``.
    public init(framing: StreamFraming, maxQueuedFrames: Int) {
        self.framing = framing
        self.maxQueuedFrames = max(1, maxQueuedFrames)
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        writable = context.channel.isWritable
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        socket = nil
        finish(.cancelled)
        self.context = nil
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !framing.closesConnection { context.fireChannelRead(data) }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        // The client went away: release the stream now rather than at the next write. NIO has
        // closed the descriptor, whose number another connection may get at any moment.
        socket = nil
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
        // The server is shutting down gracefully: the stream ends with its farewell.
        if event is ChannelShouldQuiesceEvent, ticket != nil { finish(.shutdown) }
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

    // MARK: Driven by the hub and the opened stream, on this channel's event loop

    /// Marks the handler as carrying `ticket`'s stream; frames queue until ``goLive()``.
    /// `onEnd` is called once, when the stream ends for any reason.
    func begin(_ ticket: StreamTicket, onEnd: @escaping (StreamCloseReason) -> Void) {
        self.ticket = ticket
        self.keys = ticket.keys.map { Set($0.map(\.rawValue)) }
        self.onEnd = onEnd
        phase = .waiting
    }

    /// Starts writing: first what queued since ``begin(_:onEnd:)``, then every frame as it comes.
    /// Call once the response head and the opening frames are written. A stream that ended while
    /// it opened ends now, as it would have live.
    ///
    /// `opening`: the family's state the opening frames announced. A frame that queued while the
    /// stream opened can carry an older id of that history (its event was relayed while Redis
    /// answered the opening's read, and a later write had already committed): it goes out with
    /// the opening's id instead, so the ids a client sees never go back.
    ///
    /// `head`: bytes to write before anything else (the response head and opening frames), for a
    /// server that leaves them to the stream so that the stream knows when they are out.
    func goLive(
        after opening: FamilyVersion? = nil,
        head: ByteBuffer? = nil,
        waiter: ((StreamCloseReason) -> Void)? = nil
    ) {
        if case .closed(let reason) = phase {
            phase = .live
            if let head, let context { write(head, context: context) }
            end(reason, waiter: waiter)
            return
        }
        self.waiter = waiter
        phase = .live
        if framing.closesConnection, let context {
            socket = StreamSocket(of: context.pipeline.syncOperations)
        }
        if let head, let context { write(head, context: context) }
        if let opening { backlog = backlog.map { SSEFrame.raisingID($0, to: opening) } }
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
            if socket != nil, pipelineWrites == 0 {
                // Straight to the socket, at the flush: the frames a stream gets in one drain
                // leave in one send, as they leave in one writev through NIO.
                unsent.append(frame)
                needsFlush = true
                if flush { flushIfNeeded() }
                return
            }
            if flush, !needsFlush, socket == nil {
                // One pass down the pipeline instead of two.
                context.writeAndFlush(framing.encode(frame), promise: nil)
            } else {
                write(frame, context: context)
                if flush { flushIfNeeded() }
            }
        }
    }

    /// Writes `buffer` through NIO.
    private func write(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        // Frames kept for a direct send exist only between a send and its drain's flush, while
        // NIO holds nothing of the stream and it is writable: no write through NIO comes between.
        assert(unsent.isEmpty, "a write through NIO would overtake frames kept for the socket")
        needsFlush = true
        if socket != nil {
            writeCounted(buffer, context: context)
        } else {
            context.write(framing.encode(buffer), promise: nil)
        }
    }

    private func writeCounted(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        // NIO completes writes in order: at zero, every byte given to it is in the kernel.
        pipelineWrites += 1
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { _ in self.pipelineWrites -= 1 }
        context.write(framing.encode(buffer), promise: written)
    }

    /// Sends what ``send(_:flush:)`` kept for the socket, and flushes what it wrote into NIO.
    func flushIfNeeded() {
        guard needsFlush else { return }
        needsFlush = false
        if let socket, !unsent.isEmpty, let context {
            let frame = unsent.count == 1 ? unsent[0] : joined(unsent, allocator: context.channel.allocator)
            unsent.removeAll(keepingCapacity: true)
            guard case .partly(let sent) = socket.send(frame) else { return }
            // The kernel's buffer is full (or the socket failed): NIO takes the rest, and the
            // stream's writes with it until its queue is empty.
            var rest = frame
            rest.moveReaderIndex(forwardBy: sent)
            writeCounted(rest, context: context)
        }
        context?.flush()
    }

    /// Ends the stream; the first reason wins. A live stream writes its farewell first.
    func finish(_ reason: StreamCloseReason) {
        switch phase {
        case .closed:
            return
        case .waiting:
            // Not live yet: off the hub's books now; the farewell, if any, when it goes live.
            phase = .closed(reason)
            backlog.removeAll()
            takeOffBooks(reason)
        case .live:
            end(reason, waiter: waiter)
        }
    }

    private func end(_ reason: StreamCloseReason, waiter: ((StreamCloseReason) -> Void)?) {
        guard case .live = phase else { return }
        flushIfNeeded()
        phase = .closed(reason)
        backlog.removeAll()
        self.waiter = nil
        if let context, let farewell = SSEFrame.farewell(for: reason) {
            context.writeAndFlush(framing.encode(farewell), promise: nil)
        }
        takeOffBooks(reason)
        waiter?(reason)
        if framing.closesConnection { context?.close(promise: nil) }
    }

    private func takeOffBooks(_ reason: StreamCloseReason) {
        let onEnd = self.onEnd
        self.onEnd = nil
        onEnd?(reason)
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
        if backlog.count >= maxQueuedFrames {
            backlog.removeFirst()
        }
        backlog.append(frame)
    }

    private func writeBacklog() {
        guard !backlog.isEmpty, writable, let context else { return }
        // Frames that piled up go out as one write, as Redis does for a client that fell behind.
        let frames = backlog.count == 1 ? backlog[0] : joined(backlog, allocator: context.channel.allocator)
        backlog.removeAll()
        write(frames, context: context)
    }

    private func joined(_ frames: [ByteBuffer], allocator: ByteBufferAllocator) -> ByteBuffer {
        var joined = allocator.buffer(capacity: frames.reduce(0) { $0 + $1.readableBytes })
        for var frame in frames { joined.writeBuffer(&frame) }
        return joined
    }
}
