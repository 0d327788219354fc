import Gateway
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 child channel with two handlers added to every connection:
/// ``StreamRouter``, which serves event streams without a task per connection, and
/// `SSEStreamHandler`, through which the hub writes a stream's frames.
///
/// The pipeline is Hummingbird's own (`HTTP1Channel`): encoder and decoder, the HTTP types
/// codec, the idle-timeout handler, the async channel. Only plain HTTP connections get the
/// async channel, once ``StreamRouter`` has seen their first request head.
struct FlimmerHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    /// A connection as ``setup(channel:logger:)`` leaves it.
    struct Connection: ServerChildChannelValue {
        let channel: any Channel
        let router: NIOLoopBound<StreamRouter>
        let kind: EventLoopFuture<StreamRouter.Kind>
    }

    let responder: HTTPChannelHandler.Responder
    let idleTimeout: Duration?
    let streamCapacity: Int
    let opener: StreamOpener

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Connection> {
        channel.eventLoop.makeCompletedFuture {
            // Each connection keeps its last receive buffer for reuse, for as long as it lives.
            // NIO's default starts at 2 KiB; 1 KiB still takes a typical request head in one read,
            // and an open stream (which reads nothing after its request) holds half as much.
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 1024, maximum: 65536)
            )
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init()
            )
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(SSEStreamHandler(capacity: streamCapacity))
            let kind = channel.eventLoop.makePromise(of: StreamRouter.Kind.self)
            let router = StreamRouter(opener: opener, decision: kind)
            try pipeline.addHandler(router)
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
            return Connection(channel: channel, router: NIOLoopBound(router, eventLoop: channel.eventLoop), kind: kind.futureResult)
        }
    }

    func handle(value: Connection, logger: Logger) async {
        guard case .http? = try? await value.kind.get() else {
            // A stream now lives on its event loop, or the connection closed before its first request.
            return
        }
        let channel = value.channel
        let router = value.router
        let asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>
        do {
            asyncChannel = try await channel.eventLoop.submit {
                let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                    wrappingChannelSynchronously: channel,
                    configuration: .init(isOutboundHalfClosureEnabled: true)
                )
                router.value.replay()
                return asyncChannel
            }.get()
        } catch {
            channel.close(promise: nil)
            return
        }
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}
