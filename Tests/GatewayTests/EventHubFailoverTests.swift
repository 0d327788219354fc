import ContentQueue
import FlimmerTestSupport
import Gateway
import RedisClient
import Testing

/// What streams hear when the Redis behind the hub changes history: a Sentinel failover (a new
/// master, another generation) that kept or lost what was relayed, and events of a master that
/// was replaced arriving late. No version that went backwards may pass in silence.
@Suite("Event hub across a change of master")
struct EventHubFailoverTests {
    let hub = EventHub(logger: TestEnvironment.logger)
    let old = RedisGeneration("aaaaaaaaaaaaaaaa")!
    let new = RedisGeneration("bbbbbbbbbbbbbbbb")!

    private func payload(_ family: FamilyID, version: Int) -> [UInt8] {
        Array(InvalidationPayload(key: "contentQueue", family: family.rawValue, version: version, epoch: "e1").json.utf8)
    }

    /// Opens a live stream of `family` at version 3 of the old master, relayed as an event.
    private func streamAtVersion3(_ family: FamilyID) async throws -> TestStream {
        let stream = try await TestStream.open(hub, family: family, current: FamilyVersion(epoch: "e1", generation: old, version: 2))
        _ = try await stream.goLive()
        #expect(hub.deliver(channel: "invalidate:contentQueue", message: payload(family, version: 3), generation: old) >= 1)
        #expect(try await stream.next().hasPrefix("id: e1-aaaaaaaaaaaaaaaa-3\nevent: invalidate\n"))
        return stream
    }

    /// Version 3 was heard, then the master died before a replica had it: the new master's next
    /// write is version 3 again, for other data. Streams are reset, then get the event.
    @Test func anEventThatReusesALostVersionResetsTheStreams() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await streamAtVersion3(family)
        let resets = hub.counters.resets
        #expect(hub.deliver(channel: "invalidate:contentQueue", message: payload(family, version: 3), generation: new) == 1)
        let reset = try await stream.next()
        #expect(reset.hasPrefix("id: e1-bbbbbbbbbbbbbbbb-3\nevent: reset\n"))
        #expect(try await stream.next().hasPrefix("id: e1-bbbbbbbbbbbbbbbb-3\nevent: invalidate\n"))
        #expect(hub.counters.resets == resets + 1)
    }

    /// Classic pub/sub on a cluster: events of every shard arrive through one node, whose
    /// generation is not theirs. The generation a payload names wins; a late event of the old
    /// master that names it is dropped once the family moved on, whichever node relayed it.
    @Test func theGenerationAPayloadNamesWinsOverTheRelayingNodes() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await streamAtVersion3(family)
        let other = RedisGeneration("cccccccccccccccc")!
        var next = InvalidationPayload(key: "contentQueue", family: family.rawValue, version: 4, epoch: "e1", generation: old.rawValue)
        #expect(hub.deliver(channel: "invalidate:contentQueue", message: Array(next.json.utf8), generation: other) == 1)
        #expect(try await stream.next().hasPrefix("id: e1-aaaaaaaaaaaaaaaa-4\nevent: invalidate\n"), "the old master's id, not the relaying node's")
        #expect(hub.reconcile([family: FamilyVersion(epoch: "e1", generation: new, version: 4)]) == 1)
        #expect(try await stream.next().hasPrefix("id: e1-bbbbbbbbbbbbbbbb-4\nevent: invalidate\n"))
        next.version = 5
        #expect(
            hub.deliver(channel: "invalidate:contentQueue", message: Array(next.json.utf8), generation: other) == 0,
            "a late event of the old master"
        )
    }

    /// Another service's event names no generation and comes through no node the gateway can
    /// vouch for (`generation` nil): it is of the history the hub knows.
    @Test func anEventThatNamesNoGenerationIsOfTheKnownHistory() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await streamAtVersion3(family)
        let resets = hub.counters.resets
        #expect(hub.deliver(channel: "invalidate:contentQueue", message: payload(family, version: 4), generation: nil) == 1)
        #expect(try await stream.next().hasPrefix("id: e1-aaaaaaaaaaaaaaaa-4\nevent: invalidate\n"))
        #expect(hub.counters.resets == resets)
    }

    /// On a cluster a family's slot may move to another master and back: the first node's
    /// generation is the family's again once a read shows it holds what was relayed. Elsewhere
    /// a generation that was left stays stale.
    @Test(arguments: [true, false])
    func aGenerationTheFamilyLeftIsItsOwnAgainOnlyWhereGenerationsMayReturn(mayReturn: Bool) async throws {
        var configuration = EventHubConfiguration()
        configuration.generationsMayReturn = mayReturn
        let hub = EventHub(configuration: configuration, logger: TestEnvironment.logger)
        let family = TestEnvironment.uniqueFamily()
        let stream = try await TestStream.open(hub, family: family, current: FamilyVersion(epoch: "e1", generation: old, version: 3))
        _ = try await stream.goLive()
        #expect(hub.reconcile([family: FamilyVersion(epoch: "e1", generation: new, version: 4)]) == 1)
        #expect(try await stream.next().hasPrefix("id: e1-bbbbbbbbbbbbbbbb-4\nevent: invalidate\n"))
        // The slot moved back to the first master, with everything.
        #expect(hub.reconcile([family: FamilyVersion(epoch: "e1", generation: old, version: 5)]) == (mayReturn ? 1 : 0))
        #expect(hub.deliver(channel: "invalidate:contentQueue", message: payload(family, version: 6), generation: old) == (mayReturn ? 1 : 0))
        if mayReturn {
            #expect(try await stream.next().hasPrefix("id: e1-aaaaaaaaaaaaaaaa-5\nevent: invalidate\n"))
            #expect(try await stream.next().hasPrefix("id: e1-aaaaaaaaaaaaaaaa-6\nevent: invalidate\n"))
        }
    }

    /// The re-check after the failover reads version 2 on the new master: version 3 is lost.
    @Test func aReadBehindWhatWasRelayedOnANewMasterResets() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await streamAtVersion3(family)
        #expect(hub.reconcile([family: FamilyVersion(epoch: "e1", generation: new, version: 2)]) == 1)
        #expect(try await stream.next().hasPrefix("id: e1-bbbbbbbbbbbbbbbb-2\nevent: reset\n"))
    }

    /// The new master holds everything that was relayed (and more): the queue's streams refetch
    /// once under ids of the new history; a stream of other keys, whose versions the hub does not
    /// track, is reset.
    @Test func aNewMasterThatKeptEverythingIsAnnouncedWithItsOwnIds() async throws {
        let family = TestEnvironment.uniqueFamily()
        let profile = try await TestStream.open(
            hub,
            family: family,
            current: FamilyVersion(epoch: "e1", generation: old, version: 2),
            keys: [QueryKey("profile")!]
        )
        _ = try await profile.goLive()
        let queue = try await streamAtVersion3(family)
        #expect(hub.reconcile([family: FamilyVersion(epoch: "e1", generation: new, version: 3)]) == 1)
        let resync = try await queue.next()
        #expect(resync.hasPrefix("id: e1-bbbbbbbbbbbbbbbb-3\nevent: invalidate\n"))
        #expect(resync.contains(#""reason":"resync""#))
        #expect(try await profile.next().hasPrefix("id: e1-bbbbbbbbbbbbbbbb-3\nevent: reset\n"))
        // Nothing more: a second re-check of the same state tells no one.
        #expect(hub.reconcile([family: FamilyVersion(epoch: "e1", generation: new, version: 3)]) == 0)
    }

    /// Once the family moved to the new master, the old one's late events and reads are stale:
    /// dropped, never relayed, and they move nothing back.
    @Test func eventsAndReadsOfTheReplacedMasterAreDropped() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await streamAtVersion3(family)
        #expect(hub.reconcile([family: FamilyVersion(epoch: "e1", generation: new, version: 4)]) == 1)
        _ = try await stream.next()
        let dropped = hub.counters.staleEventsDropped
        #expect(hub.deliver(channel: "invalidate:contentQueue", message: payload(family, version: 9), generation: old) == 0)
        #expect(hub.counters.staleEventsDropped == dropped + 1)
        #expect(hub.reconcile([family: FamilyVersion(epoch: "e1", generation: old, version: 9)]) == 0)
        // The stream's next event is of the new master, numbered after what it holds.
        #expect(hub.deliver(channel: "invalidate:contentQueue", message: payload(family, version: 5), generation: new) == 1)
        #expect(try await stream.next().hasPrefix("id: e1-bbbbbbbbbbbbbbbb-5\nevent: invalidate\n"))
    }

    /// Within one history a read that is behind an event already relayed is only late; an event
    /// that goes back is not, and resets.
    @Test func withinOneHistoryALateReadIsKeptAndAnEventThatGoesBackResets() async throws {
        let family = TestEnvironment.uniqueFamily()
        let stream = try await streamAtVersion3(family)
        #expect(hub.reconcile([family: FamilyVersion(epoch: "e1", generation: old, version: 2)]) == 0)
        #expect(hub.deliver(channel: "invalidate:contentQueue", message: payload(family, version: 1), generation: old) == 1)
        #expect(try await stream.next().hasPrefix("id: e1-aaaaaaaaaaaaaaaa-1\nevent: reset\n"))
    }

    /// A client that reconnects with an id of the old master: up to the new master's version it
    /// refetches once; past it (the new master lost what it saw) it is reset.
    @Test(arguments: [(3, "invalidate"), (5, "reset")])
    func aClientComingBackWithAnIdOfTheOldMaster(seen: Int, expected: String) async throws {
        let family = TestEnvironment.uniqueFamily()
        let current = FamilyVersion(epoch: "e1", generation: new, version: 4)
        let stream = try await TestStream.open(hub, family: family, current: current)
        let text = String(buffer: hub.openingFrames(for: stream.ticket, current: current, lastEventID: "e1-aaaaaaaaaaaaaaaa-\(seen)"))
        #expect(text.contains("id: e1-bbbbbbbbbbbbbbbb-4\nevent: \(expected)\n"))
    }
}
