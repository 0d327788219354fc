import ContentQueue
import FlimmerTestSupport
import Foundation
import Gateway
import NIOCore
import Testing

@Suite("Stream mailboxes")
struct StreamMailboxTests {
    let hub = EventHub(configuration: .init(mailboxCapacity: 4), logger: TestEnvironment.logger)

    @Test func framesQueuedWhileTheWriterIsBusyGoOutInOneBatch() async {
        let family = TestEnvironment.uniqueFamily()
        let mailbox = hub.register(family: family)
        defer { hub.unregister(mailbox) }
        for version in 1...3 { hub.deliver(Self.event(family, version)) }
        let batch = await mailbox.next()
        let text = String(buffer: batch.buffer)
        #expect(text.components(separatedBy: "event: invalidate").count == 4)
        #expect(batch.close == nil)
    }

    @Test func aSlowReaderKeepsOnlyTheNewestFrames() async {
        let family = TestEnvironment.uniqueFamily()
        let mailbox = hub.register(family: family)
        defer { hub.unregister(mailbox) }
        for version in 1...100 { hub.deliver(Self.event(family, version)) }
        #expect(mailbox.droppedFrames == 96)
        let text = String(buffer: await mailbox.next().buffer)
        var parser = SSEParser()
        let versions = parser.feed(Array(text.utf8)).compactMap(\.event).compactMap { $0.id?.split(separator: "-").last.flatMap { Int($0) } }
        // The newest frame is always kept: the client still ends at the final version.
        #expect(versions == [97, 98, 99, 100])
    }

    @Test func closeWakesAWaitingWriter() async {
        let family = TestEnvironment.uniqueFamily()
        let mailbox = hub.register(family: family)
        defer { hub.unregister(mailbox) }
        async let batch = mailbox.next()
        try? await Task.sleep(for: .milliseconds(20))
        mailbox.close(.shutdown)
        #expect(await batch.close == .shutdown)
    }

    @Test func cancellingTheWriterEndsTheStream() async {
        let family = TestEnvironment.uniqueFamily()
        let mailbox = hub.register(family: family)
        defer { hub.unregister(mailbox) }
        let task = Task { await mailbox.next() }
        try? await Task.sleep(for: .milliseconds(20))
        task.cancel()
        #expect(await task.value.close == .cancelled)
    }

    @Test func heartbeatsAreCommentsAndCarryNoEvent() async {
        let family = TestEnvironment.uniqueFamily()
        let mailbox = hub.register(family: family)
        defer { hub.unregister(mailbox) }
        hub.sendHeartbeats()
        #expect(String(buffer: await mailbox.next().buffer) == ": heartbeat\n\n")
    }

    static func event(_ family: FamilyID, _ version: Int) -> InvalidationEvent {
        let payload = InvalidationPayload(key: "contentQueue", family: family.rawValue, version: version, reason: "uploaded", epoch: "e1")
        return try! InvalidationEvent(channel: "invalidate:contentQueue", message: Array(payload.json.utf8))
    }
}
