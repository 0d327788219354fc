import ContentQueue
import FlimmerFormats
import Foundation
import NIOConcurrencyHelpers
import RedisClient

/// Records every message published on `invalidate:*` while it runs, on a subscription of its
/// own, so tests can check exactly what a transaction published.
public final class PublishRecorder: Sendable {
    public struct Message: Sendable, Equatable {
        public let channel: String
        public let payload: String
    }

    private let messagesSoFar = NIOLockedValueBox<[Message]>([])
    private let redis: RedisClient
    private let subscription = NIOLockedValueBox<RedisSubscription?>(nil)

    private init(redis: RedisClient) {
        self.redis = redis
    }

    /// Starts recording and returns once the subscription is confirmed.
    public static func start(pattern: String = "invalidate:*") async throws -> PublishRecorder {
        let recorder = PublishRecorder(redis: RedisClient(configuration: try TestEnvironment.redisConfiguration(), logger: TestEnvironment.logger))
        do {
            let subscription = try await recorder.redis.subscribe(patterns: [pattern, Self.barrierChannel]) { message in
                let recorded = Message(channel: message.channel, payload: String(decoding: message.payload, as: UTF8.self))
                recorder.messagesSoFar.withLockedValue { $0.append(recorded) }
            }
            recorder.subscription.withLockedValue { $0 = subscription }
        } catch {
            recorder.stop()
            throw error
        }
        return recorder
    }

    /// Stops recording: closes the subscription and the client.
    public func stop() {
        subscription.withLockedValue { $0?.close() }
        let redis = self.redis
        Task { await redis.shutdown() }
    }

    /// A channel outside `invalidate:*`, so that gateways under test never relay the barrier.
    static let barrierChannel = "flimmer-test-barrier"

    /// Publishes a marker and waits for it. Redis delivers messages in the order it executed
    /// the publishes, so once the marker is back every earlier publish has been recorded:
    /// "nothing was published" becomes a finite check instead of a sleep.
    public func barrier() async throws {
        let marker = HexText.padded(UInt64.random(in: 0...UInt64.max))
        try await withTestRedis { redis in
            try await redis.send(RedisCommand("PUBLISH", Self.barrierChannel, marker))
        }
        try await eventually("the barrier message to come back", poll: .milliseconds(2)) {
            messagesSoFar.withLockedValue { $0.contains { $0.channel == Self.barrierChannel && $0.payload == marker } }
        }
    }

    /// Messages so far whose payload names `family`.
    public func messages(family: FamilyID) -> [Message] {
        let needle = "\"family\":\"\(family.rawValue)\""
        return messagesSoFar.withLockedValue { $0.filter { $0.payload.contains(needle) } }
    }

    /// Waits until at least `count` messages of `family` arrived, then returns them all.
    public func waitForMessages(family: FamilyID, count: Int, timeout: Duration = .seconds(5)) async throws -> [Message] {
        try await eventuallyValue("\(count) messages of \(family); got \(messages(family: family).count)", timeout: timeout, poll: .milliseconds(5)) {
            let found = messages(family: family)
            return found.count >= count ? found : nil
        }
    }

    /// Decoded payloads of `family`, in arrival order.
    public func payloads(family: FamilyID) throws -> [InvalidationPayload] {
        try messages(family: family).map { try JSONDecoder().decode(InvalidationPayload.self, from: Data($0.payload.utf8)) }
    }
}
