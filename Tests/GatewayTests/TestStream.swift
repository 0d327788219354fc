import ContentQueue
import Gateway
import NIOCore
import NIOEmbedded
import NIOHTTPTypes

/// A stream on a test channel: the hub writes into an `SSEStreamHandler` in a
/// `NIOAsyncTestingChannel`'s pipeline, and the test reads what reached the wire.
struct TestStream {
    let channel: NIOAsyncTestingChannel
    let handle: StreamHandle

    static func open(
        _ hub: EventHub, family: FamilyID, user: String? = nil, until: ContinuousClock.Instant? = nil, capacity: Int = 16
    ) async throws -> TestStream {
        let channel = NIOAsyncTestingChannel()
        try await channel.pipeline.addHandler(SSEStreamHandler(capacity: capacity))
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        let handle = try await hub.open(family: family, user: user, until: until, channel: channel)
        return TestStream(channel: channel, handle: handle)
    }

    /// Starts relaying (as a request does once its opening frames are out) and returns the
    /// task that waits for the stream's end.
    func goLive() async throws -> Task<StreamCloseReason, Never> {
        let handle = self.handle
        let task = Task { await handle.run() }
        // run() goes live with a job on the loop; wait until the loop has taken it.
        try await channel.testingEventLoop.executeInContext {}
        try await Task.sleep(for: .milliseconds(20))
        try await channel.testingEventLoop.executeInContext {}
        return task
    }

    /// The next bytes written to the client, as text.
    func next() async throws -> String {
        let part = try await channel.waitForOutboundWrite(as: HTTPResponsePart.self)
        guard case .body(let buffer) = part else { return "<\(part)>" }
        return String(buffer: buffer)
    }

    /// Everything written so far and not yet read, as text.
    func drain() async throws -> String {
        var text = ""
        while let part = try await channel.readOutbound(as: HTTPResponsePart.self) {
            if case .body(let buffer) = part { text += String(buffer: buffer) }
        }
        return text
    }
}
