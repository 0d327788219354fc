import ContentQueue
import FlimmerTestSupport
import Gateway
import NIOCore
import NIOEmbedded
import Testing

@Suite("Stream writes on the event loop: backpressure, stalls, lifetime, departure")
struct SSEStreamHandlerTests {
    let hub = EventHub(configuration: .init(maxWriteStall: .milliseconds(50)), logger: TestEnvironment.logger)

    private func publish(_ family: FamilyID, version: Int) {
        let payload = InvalidationPayload(key: "contentQueue", family: family.rawValue, version: version, epoch: "e1")
        hub.deliver(channel: "invalidate:contentQueue", message: Array(payload.json.utf8))
    }

    @Test func aSlowReaderGetsTheNewestFramesInOneWriteWhenItCatchesUp() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await TestStream.open(hub, family: family, maxQueuedFrames: 4)
        _ = try await stream.goLive()
        stream.channel.isWritable = false
        stream.channel.pipeline.fireChannelWritabilityChanged()
        for version in 1...10 { publish(family, version: version) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await stream.drain().isEmpty)
        stream.channel.isWritable = true
        stream.channel.pipeline.fireChannelWritabilityChanged()
        let text = try await stream.next()
        // Only the newest 4 were kept (each invalidation supersedes the ones before), all in one write.
        #expect(text.components(separatedBy: "event: invalidate").count - 1 == 4)
        #expect(text.contains(#""version":7"#) && text.contains(#""version":10"#))
        #expect(!text.contains(#""version":6"#))
    }

    @Test func aStreamUnwritablePastTheStallLimitIsClosed() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await TestStream.open(hub, family: family)
        let ended = try await stream.goLive()
        stream.channel.isWritable = false
        stream.channel.pipeline.fireChannelWritabilityChanged()
        publish(family, version: 1)
        try await Task.sleep(for: .milliseconds(100))
        hub.closeStalledAndExpiredStreams()
        #expect(await ended.value == .stalled)
        try await stream.channel.closeFuture.get()
        #expect(hub.counters.slowClientCloses == 1)
    }

    @Test func aWritableStreamIsNotClosedBySweeps() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await TestStream.open(hub, family: family)
        _ = try await stream.goLive()
        publish(family, version: 1)
        try await Task.sleep(for: .milliseconds(100))
        hub.closeStalledAndExpiredStreams()
        hub.sendHeartbeats()
        #expect(try await stream.next().contains(#""version":1"#))
        #expect(try await stream.next() == ": heartbeat\n\n")
        #expect(stream.channel.isActive)
    }

    @Test func aStreamPastItsLifetimeEnds() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await TestStream.open(hub, family: family)
        let ended = try await stream.goLive()
        hub.closeStalledAndExpiredStreams(now: .now + .seconds(7200))
        #expect(await ended.value == .lifetime)
    }

    @Test func aStreamEndsWhenItsTokenDoesAndNotBefore() async throws {
        let family = TestEnvironment.uniqueFamily()
        let start = ContinuousClock.now
        let stream = try await TestStream.open(hub, family: family, until: start + .seconds(60))
        #expect(stream.ticket.endsWithCredential)
        let ended = try await stream.goLive()
        hub.closeStalledAndExpiredStreams(now: start + .seconds(30))
        publish(family, version: 1)
        #expect(try await stream.next().contains(#""version":1"#), "still open before the token's end")
        hub.closeStalledAndExpiredStreams(now: start + .seconds(61))
        #expect(await ended.value == .credentialExpired)
    }

    @Test func aTokenThatOutlivesTheStreamLeavesTheLifetimeInCharge() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await TestStream.open(hub, family: family, until: .now + .seconds(86_400))
        #expect(!stream.ticket.endsWithCredential)
        let ended = try await stream.goLive()
        hub.closeStalledAndExpiredStreams(now: .now + .seconds(7200))
        #expect(await ended.value == .lifetime)
    }

    @Test func aDepartedClientEndsItsStream() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await TestStream.open(hub, family: family)
        let ended = try await stream.goLive()
        try await stream.channel.close()
        #expect(await ended.value == .cancelled)
        #expect(hub.streamCount == 0)
    }

    @Test func aClientThatClosesItsSideEndsItsStreamAndTheConnection() async throws {
        let stream = try await TestStream.open(hub, family: TestEnvironment.uniqueFamily())
        let ended = try await stream.goLive()
        // The server allows half-closure, so a client's FIN arrives as this event.
        stream.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(await ended.value == .cancelled)
        try await stream.channel.closeFuture.get()
    }

    @Test func shutdownEndsEveryStream() async throws {
        let streams = [
            try await TestStream.open(hub, family: TestEnvironment.uniqueFamily()),
            try await TestStream.open(hub, family: TestEnvironment.uniqueFamily()),
        ]
        var ends: [Task<StreamCloseReason, Never>] = []
        for stream in streams { ends.append(try await stream.goLive()) }
        hub.closeAll(.shutdown)
        for end in ends { #expect(await end.value == .shutdown) }
    }

    @Test func cancellingTheWaitingTaskEndsTheStream() async throws {
        let stream = try await TestStream.open(hub, family: TestEnvironment.uniqueFamily())
        let ended = try await stream.goLive()
        ended.cancel()
        #expect(await ended.value == .cancelled)
    }

    /// The server's chunked path wraps every frame (here in a marker type instead of an HTTP body
    /// part) and finishes the response itself: the stream's end leaves the connection open.
    @Test func wrappedFramesGoThroughTheWrapperAndTheEndLeavesTheConnectionOpen() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await TestStream.open(hub, family: family, framing: .wrapped { NIOAny(Wrapped(frame: $0)) })
        let ended = try await stream.goLive()
        publish(family, version: 1)
        let first = try await stream.channel.waitForOutboundWrite(as: Wrapped.self)
        #expect(String(buffer: first.frame).contains(#""version":1"#))
        hub.closeAll(.shutdown)
        #expect(await ended.value == .shutdown)
        let farewell = try await stream.channel.waitForOutboundWrite(as: Wrapped.self)
        #expect(String(buffer: farewell.frame) == ": server shutting down; reconnect with Last-Event-ID\n\n")
        #expect(stream.channel.isActive)
    }

    /// A stream that ends while its response is being started (the server shuts down between
    /// opening it and writing its head) still says goodbye and closes once it goes live.
    @Test func aStreamThatEndsWhileOpeningEndsWhenItGoesLive() async throws {
        let stream = try await TestStream.open(hub, family: TestEnvironment.uniqueFamily())
        hub.closeAll(.shutdown)
        try await stream.channel.testingEventLoop.executeInContext {}
        #expect(hub.streamCount == 0)
        let ended = try await stream.goLive()
        #expect(await ended.value == .shutdown)
        #expect(try await stream.next() == ": server shutting down; reconnect with Last-Event-ID\n\n")
        try await stream.channel.closeFuture.get()
    }

    /// The server quiescing (graceful shutdown) ends a live stream with its farewell.
    @Test func quiescingEndsTheStreamWithItsFarewell() async throws {
        let stream = try await TestStream.open(hub, family: TestEnvironment.uniqueFamily())
        let ended = try await stream.goLive()
        stream.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(await ended.value == .shutdown)
        #expect(try await stream.next() == ": server shutting down; reconnect with Last-Event-ID\n\n")
        try await stream.channel.closeFuture.get()
    }
}

/// What the wrapping tests put frames into.
private struct Wrapped {
    let frame: ByteBuffer
}
