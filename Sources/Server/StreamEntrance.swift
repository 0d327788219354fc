import Gateway
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Opens the event stream of a connection whose first request is `GET /api/events`, outside
/// Hummingbird (``ConnectionSniffer`` says why), and turns the connection into that stream.
///
/// It reads the request head (after NIO's request decoder), opens the stream through
/// ``EventsController`` (the same authentication, caps and catch-up as the route), and then, on
/// the event loop: the request decoder, the codec, the sniffer and this handler leave the
/// pipeline, the gateway's `SSEStreamHandler` takes their place, and the response head and the
/// opening frames go out in one write. The body is close-delimited, so each frame is one shared
/// buffer written as it is. From then on the stream is the gateway's.
///
/// A stream that does not open (bad token, cap reached, Redis down) is handed back to the
/// sniffer, which replays the connection into Hummingbird: the API's own routes, errors and
/// middleware answer it exactly as for any other request.
final class StreamEntrance: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart

    private enum State {
        case reading
        case opening
        case done
    }

    private let events: EventsController
    private let sniffer: ConnectionSniffer
    private let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes))
    private let codec = HTTP1ToHTTPServerCodec(secure: false)
    private var state = State.reading
    private var context: ChannelHandlerContext?

    init(events: EventsController, sniffer: ConnectionSniffer) {
        self.events = events
        self.sniffer = sniffer
    }

    /// What the sniffer adds after itself for a stream candidate: NIO's request decoder and the
    /// HTTP types codec, then this handler.
    var candidatePipeline: [any ChannelHandler] { [decoder, codec, self] }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A stream's client has nothing more to say after its head; the rest is dropped.
        guard case .reading = state, case .head(let head) = unwrapInboundIn(data) else { return }
        state = .opening
        sniffer.headReceived()
        let eventLoop = context.eventLoop
        let entrance = NIOLoopBound(self, eventLoop: eventLoop)
        let handler = NIOLoopBound(
            SSEStreamHandler(framing: .closeDelimited, maxQueuedFrames: events.maxQueuedFrames),
            eventLoop: eventLoop
        )
        let events = self.events
        Task {
            do {
                let stream = try await events.open(Request(head: head, body: RequestBody(buffer: ByteBuffer())), handler: handler)
                let headers = events.fastPathHeaders(for: head)
                eventLoop.execute { entrance.value.opened(stream, headers: headers, handler: handler.value) }
            } catch {
                eventLoop.execute { entrance.value.handBack() }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A head that NIO's decoder refuses goes to Hummingbird, which answers it as it would any
        // other; after the head, whatever the client sends is dropped anyway.
        if case .reading = state { handBack() }
    }

    private func opened(_ stream: OpenedStream, headers: HTTPFields, handler: SSEStreamHandler) {
        guard case .opening = state, let context, context.channel.isActive else {
            stream.finish(.cancelled)
            return
        }
        state = .done
        // A stream needs none of the HTTP machinery once its head is out: no request decoder (the
        // client sends nothing more) and no encoder, because the body ends with the connection.
        // What remains per stream is the socket and one handler.
        let channel = context.channel
        let pipeline = context.pipeline.syncOperations
        leavePipeline(pipeline, context: context)
        sniffer.streamOpened()
        do {
            try pipeline.addHandler(handler)
        } catch {
            stream.finish(.cancelled)
            channel.close(promise: nil)
            return
        }
        var bytes = Self.encodeHead(headers, allocator: channel.allocator)
        var opening = stream.opening
        bytes.writeBuffer(&opening)
        stream.goLive(head: bytes)
    }

    /// The stream did not open: Hummingbird answers the request, from its first byte.
    private func handBack() {
        guard state != .done, let context else { return }
        state = .done
        leavePipeline(context.pipeline.syncOperations, context: context)
        sniffer.handOver()
    }

    private func leavePipeline(_ pipeline: ChannelPipeline.SynchronousOperations, context: ChannelHandlerContext) {
        pipeline.removeHandler(decoder, promise: nil)
        pipeline.removeHandler(codec, promise: nil)
        pipeline.removeHandler(context: context, promise: nil)
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
}
