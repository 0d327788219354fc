import ContentQueue
import Gateway
import NIOCore
import NIOEmbedded

/// A stream on a test channel: the hub writes into an `SSEStreamHandler` in a
/// `NIOAsyncTestingChannel`'s pipeline, and the test reads what reached the wire.
struct TestStream {
    let channel: NIOAsyncTestingChannel
    let stream: OpenedStream

    var ticket: StreamTicket { stream.ticket }

    /// Opens a stream as the server does: the handler goes into the pipeline, the hub registers
    /// it and reads the family's state (`current`, here given rather than read from Redis).
    static func open(
        _ hub: EventHub,
        family: FamilyID,
        user: String? = nil,
        until: ContinuousClock.Instant? = nil,
        maxQueuedFrames: Int = 16,
        framing: StreamFraming = .closeDelimited,
        current: FamilyVersion = FamilyVersion(epoch: "e1", version: 0),
        lastEventID: String? = nil,
        keys: Set<QueryKey>? = nil
    ) async throws -> TestStream {
        let channel = NIOAsyncTestingChannel()
        let handler = try await channel.testingEventLoop.executeInContext {
            let handler = SSEStreamHandler(framing: framing, maxQueuedFrames: maxQueuedFrames)
            try channel.pipeline.syncOperations.addHandler(handler)
            return NIOLoopBound(handler, eventLoop: channel.eventLoop)
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        let request = StreamRequest(family: family, user: user.flatMap(UserID.init), keys: keys, lastEventID: lastEventID, credentialExpiry: until)
        let stream = try await hub.open(request, handler: handler) { _ in current }
        return TestStream(channel: channel, stream: stream)
    }

    /// Starts relaying (as a request does once its opening frames are out) and returns the
    /// task that waits for the stream's end.
    func goLive() async throws -> Task<StreamCloseReason, Never> {
        let stream = self.stream
        let task = Task { await stream.run() }
        // run() goes live with a job on the loop; wait until the loop has taken it.
        try await channel.testingEventLoop.executeInContext {}
        try await Task.sleep(for: .milliseconds(20))
        try await channel.testingEventLoop.executeInContext {}
        return task
    }

    /// Ends the stream (as a server does with one whose response could not start) and waits
    /// until the loop has done it.
    func close() async throws {
        stream.finish(.cancelled)
        try await channel.testingEventLoop.executeInContext {}
    }

    /// The next bytes written to the client, as text.
    func next() async throws -> String {
        String(buffer: try await channel.waitForOutboundWrite(as: IOData.self).byteBuffer)
    }

    /// Everything written so far and not yet read, as text.
    func drain() async throws -> String {
        var text = ""
        while let data = try await channel.readOutbound(as: IOData.self) { text += String(buffer: data.byteBuffer) }
        return text
    }
}

extension IOData {
    fileprivate var byteBuffer: ByteBuffer {
        guard case .byteBuffer(let buffer) = self else { preconditionFailure("the stream writes byte buffers only") }
        return buffer
    }
}
