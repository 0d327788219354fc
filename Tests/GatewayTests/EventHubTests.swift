import ContentQueue
import FlimmerTestSupport
import Gateway
import NIOCore
import Testing

@Suite("Event hub fan-out and catch-up")
struct EventHubTests {
    let hub = EventHub(logger: TestEnvironment.logger)

    @Test func eventsReachOnlyStreamsOfTheirFamily() async {
        let a = TestEnvironment.uniqueFamily()
        let b = TestEnvironment.uniqueFamily()
        let streamA1 = hub.register(family: a)
        let streamA2 = hub.register(family: a)
        let streamB = hub.register(family: b)
        defer { [streamA1, streamA2, streamB].forEach(hub.unregister) }
        let payload = InvalidationPayload(key: "contentQueue", family: a.rawValue, version: 1, epoch: "e1")
        #expect(hub.deliver(channel: "invalidate:contentQueue", message: Array(payload.json.utf8)) == 2)
        #expect(String(buffer: await streamA1.next().buffer).contains(a.rawValue))
        #expect(String(buffer: await streamA2.next().buffer).contains(a.rawValue))
        hub.sendHeartbeats()
        // B's first batch is the heartbeat: A's event never reached it.
        #expect(String(buffer: await streamB.next().buffer) == ": heartbeat\n\n")
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
    func messagesThatBreakTheContractAreDropped(channel: String, message: String) {
        let stream = hub.register(family: FamilyID("fam")!)
        defer { hub.unregister(stream) }
        let rejectedBefore = hub.counters.eventsRejected
        #expect(hub.deliver(channel: channel, message: Array(message.utf8)) == 0)
        #expect(hub.counters.eventsRejected == rejectedBefore + 1)
    }

    @Test func otherPublishersAreRelayedWithTheirPayloadUnchanged() async {
        let family = TestEnvironment.uniqueFamily()
        let stream = hub.register(family: family)
        defer { hub.unregister(stream) }
        _ = hub.openingFrames(for: stream, current: FamilyVersion(epoch: "e1", version: 3), lastEventID: nil)
        let message = #"{"key":"profile","family":"\#(family.rawValue)","version":9,"extra":[1,2]}"#
        #expect(hub.deliver(channel: "invalidate:profile", message: Array(message.utf8)) == 1)
        let text = String(buffer: await stream.next().buffer)
        // Another key's event carries the family's queue version in its id, so Last-Event-ID stays meaningful.
        #expect(text == "id: e1-3\nevent: invalidate\ndata: \(message)\n\n")
    }

    @Test func openingWithoutLastEventIDSendsRetryAndId() {
        let stream = hub.register(family: TestEnvironment.uniqueFamily())
        defer { hub.unregister(stream) }
        let text = String(buffer: hub.openingFrames(for: stream, current: FamilyVersion(epoch: "e1", version: 5), lastEventID: nil))
        #expect(text == "retry: 2000\nid: e1-5\n\n")
    }

    @Test func openingBehindSendsOneInvalidate() {
        let family = TestEnvironment.uniqueFamily()
        let stream = hub.register(family: family)
        defer { hub.unregister(stream) }
        let text = String(buffer: hub.openingFrames(for: stream, current: FamilyVersion(epoch: "e1", version: 5), lastEventID: "e1-2"))
        var parser = SSEParser()
        let events = parser.feed(Array(text.utf8)).compactMap(\.event)
        #expect(events.count == 1)
        #expect(events.first?.event == "invalidate")
        #expect(events.first?.id == "e1-5")
        #expect(events.first?.data.contains(#""version":5"#) == true)
        #expect(events.first?.data.contains(#""reason":"catchup""#) == true)
    }

    @Test func openingUpToDateSendsNoEvent() {
        let stream = hub.register(family: TestEnvironment.uniqueFamily())
        defer { hub.unregister(stream) }
        let text = String(buffer: hub.openingFrames(for: stream, current: FamilyVersion(epoch: "e1", version: 5), lastEventID: "e1-5"))
        #expect(text == "retry: 2000\nid: e1-5\n\n")
    }

    @Test(arguments: ["e0-5", "garbage", "e1-6", "e1-", "-3"])
    func openingFromAnotherEpochOrAnUnparseableIdResets(lastEventID: String) {
        let stream = hub.register(family: TestEnvironment.uniqueFamily())
        defer { hub.unregister(stream) }
        let text = String(buffer: hub.openingFrames(for: stream, current: FamilyVersion(epoch: "e1", version: 5), lastEventID: lastEventID))
        var parser = SSEParser()
        let events = parser.feed(Array(text.utf8)).compactMap(\.event)
        #expect(events.map(\.event) == ["reset"])
        #expect(events.first?.id == "e1-5")
    }

    @Test func reconcileCatchesUpFamiliesBehindAndResetsChangedEpochs() async {
        let behind = TestEnvironment.uniqueFamily()
        let lost = TestEnvironment.uniqueFamily()
        let current = TestEnvironment.uniqueFamily()
        let streams = [behind, lost, current].map { hub.register(family: $0) }
        defer { streams.forEach(hub.unregister) }
        for stream in streams {
            _ = hub.openingFrames(for: stream, current: FamilyVersion(epoch: "e1", version: 1), lastEventID: nil)
        }
        let count = hub.reconcile([
            behind: FamilyVersion(epoch: "e1", version: 4),
            lost: FamilyVersion(epoch: "e2", version: 0),
            current: FamilyVersion(epoch: "e1", version: 1),
        ])
        #expect(count == 2)
        #expect(String(buffer: await streams[0].next().buffer).contains("event: invalidate\ndata: {\"key\":\"contentQueue\",\"family\":\"\(behind.rawValue)\",\"version\":4,\"reason\":\"resync\""))
        #expect(String(buffer: await streams[1].next().buffer).hasPrefix("id: e2-0\nevent: reset\n"))
        hub.sendHeartbeats()
        #expect(String(buffer: await streams[2].next().buffer) == ": heartbeat\n\n")
    }

    @Test func unregisteringReleasesTheStream() {
        let before = hub.streamCount
        let stream = hub.register(family: TestEnvironment.uniqueFamily())
        #expect(hub.streamCount == before + 1)
        hub.unregister(stream)
        hub.unregister(stream)
        #expect(hub.streamCount == before)
    }
}
