import ContentQueue
import FlimmerFormats
import Foundation
import NIOConcurrencyHelpers
import RedisClient

/// Records every message published on `invalidate:*` while it runs, on its own thread and
/// its own connection, so tests can check exactly what a transaction published.
public final class PublishRecorder: Sendable {
    public struct Message: Sendable, Equatable {
        public let channel: String
        public let payload: String
    }

    private struct State {
        var messages: [Message] = []
        var stopped = false
        var subscribed = false
        var failure: String?
    }

    private let state = NIOLockedValueBox(State())

    /// Starts recording and returns once the subscription is confirmed.
    public static func start(pattern: String = "invalidate:*") async throws -> PublishRecorder {
        let recorder = PublishRecorder()
        let configuration = try TestEnvironment.redisConfiguration()
        let thread = Thread { recorder.loop(configuration, pattern: pattern) }
        thread.start()
        do {
            try await eventually("the recorder to subscribe", poll: .milliseconds(5)) {
                let (subscribed, failure) = recorder.state.withLockedValue { ($0.subscribed, $0.failure) }
                if let failure { throw RedisError(.connectionFailed, failure) }
                return subscribed
            }
        } catch {
            recorder.stop()
            throw error
        }
        return recorder
    }

    private func loop(_ configuration: RedisConfiguration, pattern: String) {
        do {
            let connection = try RedisConnection(configuration: configuration)
            defer { connection.close() }
            try connection.write([RedisCommand("PSUBSCRIBE", pattern, Self.barrierChannel)])
            while !state.withLockedValue({ $0.stopped }) {
                guard let reply = try connection.readReply(timeout: .milliseconds(50)), let parts = reply.array else { continue }
                if parts.first?.string == "psubscribe" {
                    if parts.count == 3, parts[2].int == 2 { state.withLockedValue { $0.subscribed = true } }
                } else if parts.count == 4, parts[0].string == "pmessage", let channel = parts[2].string, let payload = parts[3].string {
                    state.withLockedValue { $0.messages.append(Message(channel: channel, payload: payload)) }
                }
            }
        } catch {
            state.withLockedValue { $0.failure = "\(error)" }
        }
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
            state.withLockedValue { $0.messages.contains { $0.channel == Self.barrierChannel && $0.payload == marker } }
        }
    }

    public func stop() {
        state.withLockedValue { $0.stopped = true }
    }

    /// Messages so far whose payload names `family`.
    public func messages(family: FamilyID) -> [Message] {
        let needle = "\"family\":\"\(family.rawValue)\""
        return state.withLockedValue { $0.messages.filter { $0.payload.contains(needle) } }
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
