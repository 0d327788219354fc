import ContentQueue
import FlimmerClient
import FlimmerTestSupport
import Gateway
import NIOCore
import NIOEmbedded
import Testing

/// A stream that opens while its family's events flow: the hub registers it, then reads the
/// family's version. An event relayed during that read queues in the stream with its id; a
/// write committed meanwhile (its event not yet relayed) makes the read, and so the opening,
/// newer than that queued event.
///
/// Known issue, found by `scripts/chaos --ha` (clients counted "id regressions" when streams
/// reconnected to gateway A under load): the stream writes its opening catch-up at version 11,
/// then the queued event with id 10, then 11 again. Nothing is lost (every state is announced,
/// the client refetches once more than needed), but the client's Last-Event-ID goes back for a
/// moment. A fix needs the versions of the frames queued while a stream opens (drop the queue's
/// events at or below the opening's version; other keys' events, which carry the queue version
/// in their ids, cannot be dropped and would need their ids rewritten).
@Suite("Event hub: a stream opening while events flow")
struct EventHubOpeningRaceTests {
    @Test func theIdsAStreamOpenedDuringARelayShowsNeverGoBack() async throws {
        let hub = EventHub(logger: TestEnvironment.logger)
        let family = TestEnvironment.uniqueFamily()
        let event: @Sendable (Int) -> InvalidationPayload = { version in
            InvalidationPayload(key: "contentQueue", family: family.rawValue, version: version, epoch: "e1")
        }
        // Another stream of the family: the hub knows it at version 9.
        let other = try await TestStream.open(hub, family: family, current: FamilyVersion(epoch: "e1", version: 9))
        _ = try await other.goLive()

        let channel = NIOAsyncTestingChannel()
        let handler = try await channel.testingEventLoop.executeInContext {
            let handler = SSEStreamHandler(framing: .closeDelimited, maxQueuedFrames: 16)
            try channel.pipeline.syncOperations.addHandler(handler)
            return NIOLoopBound(handler, eventLoop: channel.eventLoop)
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        let request = StreamRequest(family: family, user: nil, keys: nil, lastEventID: "e1-8", credentialExpiry: nil)
        let opened = try await hub.open(request, handler: handler) { _ in
            // While Redis answers the read: version 10's event is relayed (it queues in the new
            // stream), and version 11 commits, its event still on its way.
            hub.deliver(channel: "invalidate:contentQueue", message: Array(event(10).json.utf8))
            return FamilyVersion(epoch: "e1", version: 11)
        }
        let stream = TestStream(channel: channel, stream: opened)
        _ = try await stream.goLive()
        hub.deliver(channel: "invalidate:contentQueue", message: Array(event(11).json.utf8))
        try await Task.sleep(for: .milliseconds(20))
        var parser = EventStreamParser()
        let ids = parser.feed(Array((String(buffer: opened.opening) + (try await stream.drain())).utf8)).map(\.id)
        #expect(ids.count == 3, "the catch-up, the queued event, the event after going live: \(ids)")
        withKnownIssue("the queued event's id is below the opening's: e1-11, e1-10, e1-11") {
            #expect(ids == ids.sorted { (FamilyVersion(tag: $0)?.version ?? 0) < (FamilyVersion(tag: $1)?.version ?? 0) }, "ids \(ids)")
        }
    }
}
