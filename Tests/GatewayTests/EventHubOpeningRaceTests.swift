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
/// Found by `scripts/chaos --ha` (clients counted "id regressions" when streams reconnected to
/// gateway A under load): the stream wrote its opening catch-up at version 11, then the queued
/// event with id 10, then 11 again. The queued frame now leaves with the opening's id.
@Suite("Event hub: a stream opening while events flow")
struct EventHubOpeningRaceTests {
    /// `queued`: the version of the event relayed while the opening's read (version 11) runs;
    /// `live`: the next event's, relayed after the stream went live (Redis relays in commit
    /// order); `expected`: the versions of the ids the stream shows.
    @Test(arguments: [(10, 11, [11, 11, 11]), (12, 13, [11, 12, 13])])
    func theIdsAStreamOpenedDuringARelayShowsNeverGoBack(queued: Int, live: Int, expected: [Int]) async throws {
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
            // While Redis answers the read, an event is relayed (it queues in the new stream):
            // version 10's, with 11 committed and its event still on its way; or version 12's,
            // committed after the read.
            hub.deliver(channel: "invalidate:contentQueue", message: Array(event(queued).json.utf8))
            return FamilyVersion(epoch: "e1", version: 11)
        }
        let stream = TestStream(channel: channel, stream: opened)
        _ = try await stream.goLive()
        hub.deliver(channel: "invalidate:contentQueue", message: Array(event(live).json.utf8))
        try await Task.sleep(for: .milliseconds(20))
        var parser = EventStreamParser()
        let ids = parser.feed(Array((String(buffer: opened.opening) + (try await stream.drain())).utf8)).map(\.id)
        // The catch-up, the queued event (an older one raised to the opening's id: one more
        // refetch, never an id that goes back), the event after going live.
        #expect(ids == expected.map { "e1-\($0)" })
    }
}
