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
        let stream = try await TestStream.open(hub, family: family, capacity: 4)
        defer { hub.close(stream.handle) }
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
        defer { hub.close(stream.handle) }
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
        defer { hub.close(stream.handle) }
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
        defer { hub.close(stream.handle) }
        let ended = try await stream.goLive()
        hub.closeStalledAndExpiredStreams(now: .now + .seconds(7200))
        #expect(await ended.value == .lifetime)
    }

    @Test func aStreamEndsWhenItsTokenDoesAndNotBefore() async throws {
        let family = TestEnvironment.uniqueFamily()
        let start = ContinuousClock.now
        let stream = try await TestStream.open(hub, family: family, until: start + .seconds(60))
        defer { hub.close(stream.handle) }
        #expect(stream.handle.ticket.endsWithCredential)
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
        defer { hub.close(stream.handle) }
        #expect(!stream.handle.ticket.endsWithCredential)
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
        hub.close(stream.handle)
        #expect(hub.streamCount == 0)
    }

    @Test func aClientThatClosesItsSideEndsItsStreamAndTheConnection() async throws {
        let stream = try await TestStream.open(hub, family: TestEnvironment.uniqueFamily())
        defer { hub.close(stream.handle) }
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
        defer { streams.forEach { hub.close($0.handle) } }
        var ends: [Task<StreamCloseReason, Never>] = []
        for stream in streams { ends.append(try await stream.goLive()) }
        hub.closeAll(.shutdown)
        for end in ends { #expect(await end.value == .shutdown) }
    }

    @Test func cancellingTheWaitingTaskEndsTheStream() async throws {
        let stream = try await TestStream.open(hub, family: TestEnvironment.uniqueFamily())
        defer { hub.close(stream.handle) }
        let ended = try await stream.goLive()
        ended.cancel()
        #expect(await ended.value == .cancelled)
    }
}
