import NIOCore

/// The first handler of every connection: reads the first request line, raw, and sorts the
/// connection into an event stream candidate (`GET /api/events`) or plain HTTP.
///
/// Why: Hummingbird serves each connection from a task that lives as long as the connection, with
/// an async channel and the request's state around it: about 20 KiB per open stream, which no
/// amount of slimming the stream itself can win back (see docs/architecture.md). So a connection
/// whose first request is a stream never reaches Hummingbird if the stream opens (see
/// ``StreamEntrance``), and every other connection gets Hummingbird's own, untouched HTTP/1.1
/// pipeline. Until it is sorted, the connection's bytes are kept here, so that whoever takes it
/// reads them from the start.
///
/// It also closes a connection that is not sorted within the idle timeout (a client that trickles
/// its request line or head, slowloris-style); once Hummingbird has it, Hummingbird's own idle
/// timer takes over.
final class ConnectionSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// What a connection turned out to be.
    enum Decision: Sendable {
        /// Hummingbird serves it: set up its pipeline, then ``replay()``.
        case http
        /// An event stream now lives on the event loop, or the connection closed before it was sorted.
        case done
    }

    private enum State {
        /// Reading the first request line.
        case sniffing
        /// A stream candidate: bytes go on to the stream's request decoder (and are kept).
        case candidate
        /// Waiting for Hummingbird's pipeline; bytes are kept.
        case handingOver
        case decided
    }

    /// Longest first request line, and most bytes kept before the connection is sorted; past it
    /// the connection goes to Hummingbird, whose own limits answer it.
    static let maxKeptBytes = 16 * 1024

    private let decision: EventLoopPromise<Decision>
    private let idleTimeout: TimeAmount
    private let candidatePipeline: (ConnectionSniffer) -> [any ChannelHandler]
    private var state = State.sniffing
    private var kept: ByteBuffer?
    private var idleTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    /// - Parameter candidatePipeline: what reads a stream request's head, added after this handler.
    init(
        decision: EventLoopPromise<Decision>,
        idleTimeout: TimeAmount,
        candidatePipeline: @escaping (ConnectionSniffer) -> [any ChannelHandler]
    ) {
        self.decision = decision
        self.idleTimeout = idleTimeout
        self.candidatePipeline = candidatePipeline
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        idleTimer = context.eventLoop.scheduleTask(in: idleTimeout) { [weak self] in
            guard let self, let context = self.context, !self.isDecided else { return }
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        // The pipeline went away (the channel closed before it was ever active, say) without a
        // decision: the connection's task must still end.
        if case .sniffing = state { decide(.done) } else if case .candidate = state { decide(.done) }
        self.context = nil
    }

    private func decide(_ decision: Decision) {
        state = .decided
        self.decision.succeed(decision)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        switch state {
        case .decided:
            context.fireChannelRead(data)
        case .handingOver:
            keep(&bytes)
        case .candidate:
            keep(&bytes)
            if case .handingOver = state { return }
            context.fireChannelRead(data)
        case .sniffing:
            keep(&bytes)
            guard case .sniffing = state, let kept else { return }
            let view = kept.readableBytesView
            guard let lineEnd = view.firstIndex(of: UInt8(ascii: "\n")) else { return }
            let line = view[view.startIndex..<lineEnd]
            if Self.isStreamRequestLine(line) {
                state = .candidate
                do {
                    try context.pipeline.syncOperations.addHandlers(candidatePipeline(self))
                } catch {
                    handOver()
                    return
                }
                context.fireChannelRead(wrapInboundOut(kept))
            } else {
                handOver()
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        switch state {
        case .candidate, .decided: context.fireChannelReadComplete()
        case .sniffing, .handingOver: break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !isDecided { decide(.done) }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Shutting down: a connection that has not become anything yet is simply closed.
        if event is ChannelShouldQuiesceEvent, !isDecided {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The connection goes to Hummingbird: call ``replay()`` once its pipeline is in place.
    /// Also called by ``StreamEntrance`` when a stream does not open, so that Hummingbird
    /// answers the request with the API's own error response.
    func handOver() {
        switch state {
        case .sniffing, .candidate:
            state = .handingOver
            decision.succeed(.http)
        case .handingOver, .decided:
            break
        }
    }

    /// The stream's request head is complete: from here on the connection waits for the stream
    /// to open (authentication, Redis), which the idle timeout, a guard against slow heads,
    /// must not cut short.
    func headReceived() {
        idleTimer?.cancel()
        idleTimer = nil
    }

    /// The connection became an event stream: this handler leaves.
    func streamOpened() {
        guard case .candidate = state, let context else { return }
        state = .decided
        kept = nil
        decision.succeed(.done)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Feeds what was kept into Hummingbird's pipeline, then leaves.
    func replay() {
        guard case .handingOver = state, let context else { return }
        state = .decided
        if let kept {
            self.kept = nil
            context.fireChannelRead(wrapInboundOut(kept))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private var isDecided: Bool {
        if case .decided = state { return true }
        if case .handingOver = state { return true }
        return false
    }

    private func keep(_ bytes: inout ByteBuffer) {
        if kept == nil {
            kept = bytes
        } else {
            kept!.writeBuffer(&bytes)
        }
        if kept!.readableBytes > Self.maxKeptBytes { handOver() }
    }

    /// `GET /api/events` or `GET /api/events?…`, over HTTP/1.x.
    static func isStreamRequestLine(_ line: ByteBufferView) -> Bool {
        let prefix = Array("GET /api/events".utf8)
        guard line.count > prefix.count, line.starts(with: prefix) else { return false }
        let next = line[line.index(line.startIndex, offsetBy: prefix.count)]
        return next == UInt8(ascii: " ") || next == UInt8(ascii: "?")
    }
}
