import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Decides, at a connection's first request, whether it becomes an event stream served
/// entirely on its event loop, or a plain HTTP connection handed to Hummingbird.
///
/// Why: Hummingbird serves each connection from a task that lives as long as the connection,
/// with an async channel and the request's state around it: about 20 KiB per open stream,
/// which no amount of slimming the stream itself can win back (see README, Benchmarks). A
/// connection whose first request is `GET /api/events` and that opens cleanly is therefore
/// answered here: the response head and opening frames are written from this handler, the
/// request decoder and idle-timeout handler are removed (a stream sends nothing more and is
/// never idle), and the connection's task ends at once. The stream then lives on as a few
/// pipeline handlers, written to by ``LoopFanout``.
///
/// Everything else, and a stream request that fails (bad token, cap reached, Redis down), is
/// replayed into Hummingbird unchanged, so the API's routes, errors and middleware answer it
/// exactly as they would have.
final class StreamRouter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// What the connection turned out to be.
    enum Kind: Sendable {
        /// Hummingbird serves it.
        case http
        /// An event stream, served on the loop; or a connection that closed before deciding.
        case done
    }

    private enum State {
        /// Waiting for the first request head, or for a stream to open.
        case undecided
        /// Hummingbird takes the connection; parts wait until its channel is ready.
        case handingOver
        /// Transparent.
        case http
        case stream(StreamHandle)
        case ended
    }

    private let opener: StreamOpener
    private let logger: Logger
    private let decision: EventLoopPromise<Kind>
    private var state = State.undecided
    private var buffered: [HTTPRequestPart] = []
    private var context: ChannelHandlerContext?

    init(opener: StreamOpener, decision: EventLoopPromise<Kind>, logger: Logger) {
        self.opener = opener
        self.decision = decision
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .http:
            context.fireChannelRead(data)
        case .handingOver:
            buffered.append(unwrapInboundIn(data))
        case .undecided:
            let part = unwrapInboundIn(data)
            buffered.append(part)
            guard buffered.count == 1, case .head(let head) = part else { return }
            if head.method == .get, head.path?.split(separator: "?", maxSplits: 1).first == "/api/events" {
                openStream(head, context: context)
            } else {
                handOver(context: context)
            }
        case .stream, .ended:
            // A stream's client has nothing more to say; whatever it sends is dropped.
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .http = state { context.fireChannelReadComplete() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .undecided = state {
            state = .ended
            decision.succeed(.done)
        }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch state {
        case .http:
            context.fireUserInboundEventTriggered(event)
        case .stream(let handle):
            handle.finish(.shutdown)
        case .undecided, .handingOver, .ended:
            context.close(promise: nil)
        }
    }

    /// Called by the connection's task once Hummingbird's async channel is in the pipeline.
    func replay() {
        guard case .handingOver = state, let context else { return }
        state = .http
        for part in buffered { context.fireChannelRead(wrapInboundOut(part)) }
        buffered = []
        context.fireChannelReadComplete()
    }

    private func handOver(context: ChannelHandlerContext) {
        state = .handingOver
        decision.succeed(.http)
    }

    private func openStream(_ head: HTTPRequest, context: ChannelHandlerContext) {
        let channel = context.channel
        let router = NIOLoopBound(self, eventLoop: context.eventLoop)
        let opener = self.opener
        Task {
            let result: Result<StreamOpener.Opened, any Error>
            do {
                result = .success(try await opener.open(head, channel: channel))
            } catch {
                result = .failure(error)
            }
            channel.eventLoop.execute { router.value.opened(result) }
        }
    }

    private func opened(_ result: Result<StreamOpener.Opened, any Error>) {
        guard case .undecided = state, let context, context.channel.isActive else {
            if case .success(let opened) = result { opener.close(opened.stream.handle) }
            return
        }
        guard case .success(let opened) = result else {
            // Hummingbird answers it again, with the API's own error response.
            handOver(context: context)
            return
        }
        let handle = opened.stream.handle
        state = .stream(handle)
        buffered = []
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .ok, headerFields: opened.headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.body(opened.stream.opening)), promise: nil)
        let pipeline = context.pipeline.syncOperations
        if let decoder = try? pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self) {
            pipeline.removeHandler(decoder, promise: nil)
        }
        if let idle = try? pipeline.handler(type: HTTPConnectionStateHandler.self) {
            pipeline.removeHandler(idle, promise: nil)
        }
        decision.succeed(.done)
        handle.goLiveOnLoop { [self] reason in self.ended(reason) }
    }

    private func ended(_ reason: StreamCloseReason) {
        guard case .stream(let handle) = state, let context else { return }
        state = .ended
        opener.close(handle)
        if let farewell = SSEFrame.farewell(for: reason) {
            context.write(wrapOutboundOut(.body(farewell)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.close(promise: nil)
    }
}
