import HummingbirdCore
import Logging
import NIOCore

/// The server's connections: each starts with a ``ConnectionSniffer``; a connection whose first
/// request is an event stream that opens becomes that stream (``StreamEntrance``), and every
/// other connection is served by Hummingbird's own `HTTP1Channel`, set up as Hummingbird sets it
/// up, once the sniffer has sorted it.
struct FlimmerHTTPChannel: ServerChildChannel {
    /// A connection as ``setup(channel:logger:)`` leaves it.
    struct Connection: ServerChildChannelValue {
        let channel: any Channel
        let sniffer: NIOLoopBound<ConnectionSniffer>
        let decision: EventLoopFuture<ConnectionSniffer.Decision>
    }

    let http: HTTP1Channel
    let events: EventsController
    let idleTimeout: Duration

    init(responder: @escaping HTTPChannelHandler.Responder, idleTimeout: Duration, events: EventsController) {
        self.http = HTTP1Channel(responder: responder, configuration: .init(idleTimeout: TimeAmount(idleTimeout)))
        self.events = events
        self.idleTimeout = idleTimeout
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Connection> {
        let events = self.events
        return channel.eventLoop.makeCompletedFuture {
            // Each connection keeps its last receive buffer for reuse, for as long as it lives.
            // NIO's default starts at 2 KiB; 1 KiB still takes a typical request head in one read,
            // and an open stream (which reads nothing after its request) holds half as much.
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 1024, maximum: 65536)
            )
            let decision = channel.eventLoop.makePromise(of: ConnectionSniffer.Decision.self)
            let sniffer = ConnectionSniffer(decision: decision, idleTimeout: TimeAmount(idleTimeout)) { sniffer in
                StreamEntrance(events: events, sniffer: sniffer).candidatePipeline
            }
            try channel.pipeline.syncOperations.addHandler(sniffer)
            return Connection(channel: channel, sniffer: NIOLoopBound(sniffer, eventLoop: channel.eventLoop), decision: decision.futureResult)
        }
    }

    func handle(value: Connection, logger: Logger) async {
        guard case .http? = try? await value.decision.get() else {
            // A stream now lives on its event loop, or the connection closed before it was sorted.
            return
        }
        let channel = value.channel
        let sniffer = value.sniffer
        let http = self.http
        let asyncChannel: HTTP1Channel.Value
        do {
            asyncChannel = try await channel.eventLoop.flatSubmit {
                http.setup(channel: channel, logger: logger).map { asyncChannel in
                    sniffer.value.replay()
                    return asyncChannel
                }
            }.get()
        } catch {
            channel.close(promise: nil)
            return
        }
        await http.handle(value: asyncChannel, logger: logger)
    }
}
