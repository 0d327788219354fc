import ContentQueue
import FlimmerClient
import FlimmerTestSupport
import Gateway
import NIOCore
import Testing

@Suite("Event hub fan-out and catch-up")
struct EventHubTests {
    let hub = EventHub(logger: TestEnvironment.logger)

    @Test func eventsReachOnlyStreamsOfTheirFamily() async throws {
        let a = TestEnvironment.uniqueFamily()
        let b = TestEnvironment.uniqueFamily()
        let streamA1 = try await TestStream.open(hub, family: a)
        let streamA2 = try await TestStream.open(hub, family: a)
        let streamB = try await TestStream.open(hub, family: b)
        for stream in [streamA1, streamA2, streamB] { _ = try await stream.goLive() }
        let payload = InvalidationPayload(key: "contentQueue", family: a.rawValue, version: 1, epoch: "e1")
        #expect(hub.deliver(channel: "invalidate:contentQueue", message: Array(payload.json.utf8)) == 2)
        #expect(try await streamA1.next().contains(a.rawValue))
        #expect(try await streamA2.next().contains(a.rawValue))
        hub.sendHeartbeats()
        // B's first write is the heartbeat: A's event never reached it.
        #expect(try await streamB.next() == ": heartbeat\n\n")
    }

    @Test(arguments: [
        ("invalidate:contentQueue", "not json"),
        ("invalidate:contentQueue", #"{"key":"contentQueue","family":"a b","version":1}"#),
        ("invalidate:contentQueue", #"{"key":"profile","family":"fam","version":1}"#),
        ("invalidate:contentQueue", #"{"key":"contentQueue","family":"fam","version":-1}"#),
        ("invalidate:contentQueue", #"{"key":"contentQueue","family":"fam","version":"1"}"#),
        ("invalidate:contentQueue", #"{"key":"contentQueue","version":1}"#),
        ("other:contentQueue", #"{"key":"contentQueue","family":"fam","version":1}"#),
    ])
    func messagesThatBreakTheContractAreDropped(channel: String, message: String) async throws {
        let stream = try await TestStream.open(hub, family: FamilyID("fam")!)
        let rejectedBefore = hub.counters.eventsRejected
        #expect(hub.deliver(channel: channel, message: Array(message.utf8)) == 0)
        #expect(hub.counters.eventsRejected == rejectedBefore + 1)
    }

    @Test func otherPublishersAreRelayedWithTheirPayloadUnchanged() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await TestStream.open(hub, family: family)
        _ = try await stream.goLive()
        _ = hub.openingFrames(for: stream.ticket, current: FamilyVersion(epoch: "e1", version: 3), lastEventID: nil)
        let message = #"{"key":"profile","family":"\#(family.rawValue)","version":9,"extra":[1,2]}"#
        #expect(hub.deliver(channel: "invalidate:profile", message: Array(message.utf8)) == 1)
        let text = try await stream.next()
        // Another key's event carries the family's queue version in its id, so Last-Event-ID stays meaningful.
        #expect(text == "id: e1-3\nevent: invalidate\ndata: \(message)\n\n")
    }

    @Test func openingWithoutLastEventIDSendsRetryAndId() async throws {
        let stream = try await TestStream.open(hub, family: TestEnvironment.uniqueFamily())
        let text = String(buffer: hub.openingFrames(for: stream.ticket, current: FamilyVersion(epoch: "e1", version: 5), lastEventID: nil))
        #expect(text == "retry: 2000\nid: e1-5\n\n")
    }

    @Test func openingBehindSendsOneInvalidate() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await TestStream.open(hub, family: family)
        let text = String(buffer: hub.openingFrames(for: stream.ticket, current: FamilyVersion(epoch: "e1", version: 5), lastEventID: "e1-2"))
        var parser = EventStreamParser()
        let events = parser.feed(Array(text.utf8))
        #expect(events.count == 1)
        #expect(events.first?.type == "invalidate")
        #expect(events.first?.id == "e1-5")
        #expect(events.first?.data.contains(#""version":5"#) == true)
        #expect(events.first?.data.contains(#""reason":"catchup""#) == true)
    }

    @Test func openingUpToDateSendsNoEvent() async throws {
        let stream = try await TestStream.open(hub, family: TestEnvironment.uniqueFamily())
        let text = String(buffer: hub.openingFrames(for: stream.ticket, current: FamilyVersion(epoch: "e1", version: 5), lastEventID: "e1-5"))
        #expect(text == "retry: 2000\nid: e1-5\n\n")
    }

    @Test(arguments: ["e0-5", "garbage", "e1-6", "e1-", "-3"])
    func openingFromAnotherEpochOrAnUnparseableIdResets(lastEventID: String) async throws {
        let stream = try await TestStream.open(hub, family: TestEnvironment.uniqueFamily())
        let text = String(buffer: hub.openingFrames(for: stream.ticket, current: FamilyVersion(epoch: "e1", version: 5), lastEventID: lastEventID))
        var parser = EventStreamParser()
        let events = parser.feed(Array(text.utf8))
        #expect(events.map(\.type) == ["reset"])
        #expect(events.first?.id == "e1-5")
    }

    @Test func reconcileCatchesUpFamiliesBehindAndResetsChangedEpochs() async throws {
        let behind = TestEnvironment.uniqueFamily()
        let lost = TestEnvironment.uniqueFamily()
        let current = TestEnvironment.uniqueFamily()
        var streams: [TestStream] = []
        for family in [behind, lost, current] { streams.append(try await TestStream.open(hub, family: family)) }
        for stream in streams {
            _ = try await stream.goLive()
            _ = hub.openingFrames(for: stream.ticket, current: FamilyVersion(epoch: "e1", version: 1), lastEventID: nil)
        }
        let count = hub.reconcile([
            behind: FamilyVersion(epoch: "e1", version: 4),
            lost: FamilyVersion(epoch: "e2", version: 0),
            current: FamilyVersion(epoch: "e1", version: 1),
        ])
        #expect(count == 2)
        #expect(
            try await streams[0].next().contains(
                "event: invalidate\ndata: {\"key\":\"contentQueue\",\"family\":\"\(behind.rawValue)\",\"version\":4,\"reason\":\"resync\""
            )
        )
        #expect(try await streams[1].next().hasPrefix("id: e2-0\nevent: reset\n"))
        hub.sendHeartbeats()
        #expect(try await streams[2].next() == ": heartbeat\n\n")
    }

    @Test func heartbeatsGoOnlyToTheStreamsOfTheirSlice() async throws {
        // A stream is the first on its loop here, so it is in slice 0.
        let stream = try await TestStream.open(hub, family: TestEnvironment.uniqueFamily())
        _ = try await stream.goLive()
        _ = try await stream.drain()
        hub.sendHeartbeats(slice: 1, of: 2)
        try await Task.sleep(for: .milliseconds(20))
        #expect(try await stream.drain().isEmpty)
        hub.sendHeartbeats(slice: 0, of: 2)
        #expect(try await stream.next() == ": heartbeat\n\n")
    }

    @Test(arguments: [(0.05, 1), (1, 1), (2, 2), (15, 15), (16, 16), (60, 16)])
    func heartbeatsGoOutInSlicesAboutASecondApart(seconds: Double, slices: Int) {
        #expect(StreamMaintenance.heartbeatSlices(for: .milliseconds(Int64(seconds * 1000))) == slices)
    }

    @Test func eventsBeforeGoingLiveWaitAndFollowTheOpening() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await TestStream.open(hub, family: family)
        // Published after the stream opened but before its opening frames were written:
        // it must neither be lost nor overtake them.
        let payload = InvalidationPayload(key: "contentQueue", family: family.rawValue, version: 2, epoch: "e1")
        #expect(hub.deliver(channel: "invalidate:contentQueue", message: Array(payload.json.utf8)) == 1)
        try await Task.sleep(for: .milliseconds(20))
        #expect(try await stream.drain().isEmpty)
        _ = try await stream.goLive()
        #expect(try await stream.next().contains(#""version":2"#))
    }

    @Test func capsPerUserAndPerProcessRefuseFurtherStreams() async throws {
        let hub = EventHub(configuration: .init(maxStreamsPerUser: 1, maxStreams: 2), logger: TestEnvironment.logger)
        let family = TestEnvironment.uniqueFamily()
        let first = try await TestStream.open(hub, family: family, user: "a")
        await #expect(throws: StreamLimitExceeded.self) { try await TestStream.open(hub, family: family, user: "a") }
        let second = try await TestStream.open(hub, family: family, user: "b")
        await #expect(throws: StreamLimitExceeded.self) { try await TestStream.open(hub, family: family, user: "c") }
        #expect(hub.streamCount == 2)
        try await first.close()
        // The refused attempts left nothing behind: the freed place can be taken again.
        let third = try await TestStream.open(hub, family: family, user: "a")
        for stream in [second, third] { try await stream.close() }
        #expect(hub.streamCount == 0)
    }

    @Test func closingReleasesTheStreamOnce() async throws {
        let family = TestEnvironment.uniqueFamily()
        let first = try await TestStream.open(hub, family: family, user: "u")
        let second = try await TestStream.open(hub, family: family, user: "u")
        #expect(hub.streamCount == 2)
        try await first.close()
        try await first.close()
        // Closing twice must not release the other stream's place.
        #expect(hub.streamCount == 1)
        #expect(hub.openFamilies == [family])
        try await second.close()
        #expect(hub.streamCount == 0)
        #expect(hub.openFamilies.isEmpty)
    }
}
