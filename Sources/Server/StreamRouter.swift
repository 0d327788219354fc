import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

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
    private let decision: EventLoopPromise<Kind>
    private var state = State.undecided
    private var buffered: [HTTPRequestPart] = []
    private var context: ChannelHandlerContext?

    init(opener: StreamOpener, decision: EventLoopPromise<Kind>) {
        self.opener = opener
        self.decision = decision
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
        // A stream needs none of the HTTP machinery once its head is out: no request decoder
        // (the client sends nothing more), no idle timer (a stream is never idle), and no
        // encoder, because the body ends with the connection and so needs no chunk framing.
        // What remains per stream is the socket and two small handlers.
        let pipeline = context.pipeline.syncOperations
        removeHandler(ByteToMessageHandler<HTTPRequestDecoder>.self, from: pipeline)
        removeHandler(HTTPConnectionStateHandler.self, from: pipeline)
        let raw = removeHandler(HTTP1ToHTTPServerCodec.self, from: pipeline) && removeHandler(HTTPResponseEncoder.self, from: pipeline)
        if raw {
            var bytes = Self.encodeHead(opened.headers, allocator: context.channel.allocator)
            var opening = opened.stream.opening
            bytes.writeBuffer(&opening)
            context.writeAndFlush(NIOAny(IOData.byteBuffer(bytes)), promise: nil)
        } else {
            // Only if a codec could not leave the pipeline at once: write through it, chunked.
            context.write(wrapOutboundOut(.head(HTTPResponse(status: .ok, headerFields: opened.headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.body(opened.stream.opening)), promise: nil)
        }
        decision.succeed(.done)
        handle.goLiveOnLoop(raw: raw) { [self] reason in self.ended(reason, raw: raw) }
    }

    /// Removes the handler of type `type`; returns whether it is gone (or was never there).
    @discardableResult
    private func removeHandler<Handler: RemovableChannelHandler>(
        _ type: Handler.Type, from pipeline: ChannelPipeline.SynchronousOperations
    ) -> Bool {
        guard let handler = try? pipeline.handler(type: type) else { return true }
        pipeline.removeHandler(handler, promise: nil)
        return (try? pipeline.handler(type: type)) == nil
    }

    /// `HTTP/1.1 200 OK` and `headers`, for a body that ends when the connection closes.
    static func encodeHead(_ headers: HTTPFields, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256)
        buffer.writeStaticString("HTTP/1.1 200 OK\r\n")
        for field in headers {
            buffer.writeString(field.name.canonicalName)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
        return buffer
    }

    private func ended(_ reason: StreamCloseReason, raw: Bool) {
        guard case .stream(let handle) = state, let context else { return }
        state = .ended
        opener.close(handle)
        if let farewell = SSEFrame.farewell(for: reason) {
            if raw {
                context.writeAndFlush(NIOAny(IOData.byteBuffer(farewell)), promise: nil)
            } else {
                context.write(wrapOutboundOut(.body(farewell)), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
        context.close(promise: nil)
    }
}
