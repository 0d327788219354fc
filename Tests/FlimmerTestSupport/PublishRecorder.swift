import ContentQueue
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
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let (subscribed, failure) = recorder.state.withLockedValue { ($0.subscribed, $0.failure) }
            if let failure { throw RedisError(.connectionFailed, failure) }
            if subscribed { return recorder }
            try await Task.sleep(for: .milliseconds(5))
        }
        recorder.stop()
        throw RedisError(.timeout, "the recorder could not subscribe")
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
        let marker = UInt64.random(in: 0...UInt64.max).hexPadded
        let redis = try TestEnvironment.makeRedisClient()
        defer { Task { await redis.shutdown() } }
        try await redis.send(RedisCommand("PUBLISH", Self.barrierChannel, marker))
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if state.withLockedValue({ $0.messages.contains { $0.channel == Self.barrierChannel && $0.payload == marker } }) { return }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw RedisError(.timeout, "the barrier message did not come back")
    }

    public func stop() {
        state.withLockedValue { $0.stopped = true }
    }

    /// Messages so far whose payload names `family`.
    public func messages(family: FamilyID) -> [Message] {
        let needle = "\"family\":\"\(family.rawValue)\""
        return state.withLockedValue { $0.messages.filter { $0.payload.contains(needle) } }
    }

    /// Waits until at least `count` messages of `family` arrived (or the timeout), then returns them all.
    public func waitForMessages(family: FamilyID, count: Int, timeout: Duration = .seconds(5)) async throws -> [Message] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found = messages(family: family)
            if found.count >= count { return found }
            try await Task.sleep(for: .milliseconds(5))
        }
        return messages(family: family)
    }

    /// Decoded payloads of `family`, in arrival order.
    public func payloads(family: FamilyID) throws -> [InvalidationPayload] {
        try messages(family: family).map { try JSONDecoder().decode(InvalidationPayload.self, from: Data($0.payload.utf8)) }
    }
}
