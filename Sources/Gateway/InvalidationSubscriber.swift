import ContentQueue
import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import RedisClient
import ServiceLifecycle

/// The gateway's Redis subscription: PSUBSCRIBE `invalidate:*` on a connection of its own,
/// every message handed to the ``EventHub`` from the connection's event loop. With sharded
/// pub/sub (``SubscriberConfiguration/channels``) it is one SSUBSCRIBE per family with open
/// streams instead (see ``follow(_:)`` and `ShardSubscriptions`).
///
/// When the connection fails it reconnects with exponential backoff and jitter, subscribes
/// again, and then asks for a version re-check of every open family (``onResubscribe``),
/// since whatever was published while it was away is gone from pub/sub.
///
/// Every ``SubscriberConfiguration/probeInterval`` it publishes a probe on this gateway's own
/// channel: a subscription that looks connected but no longer delivers (a failover, a half-open
/// TCP path, a frozen Redis) is noticed when its probe does not come back, and made again.
public final class InvalidationSubscriber: Service, Sendable {
    private struct State {
        var subscribed = false
        var subscriptions = 0
        var probesLost = 0
    }

    let redis: RedisClient
    let configuration: SubscriberConfiguration
    let hub: EventHub
    let logger: Logger
    let onResubscribe: @Sendable () async -> Void
    /// This process's probe channel: only this gateway subscribes to it.
    let probeChannel = "flimmer:probe:\(UInt64.random(in: 0...UInt64.max))"
    private let state = NIOLockedValueBox(State())
    private let probes = ProbeReturns()
    /// Sharded pub/sub's subscriptions; nil in classic mode.
    private let shards: ShardSubscriptions?

    /// - Parameters:
    ///   - redis: the client whose node it subscribes to, and through which it publishes its probes.
    ///   - onResubscribe: run after every subscription but the first, to catch up streams.
    public init(
        redis: RedisClient,
        configuration: SubscriberConfiguration = .init(),
        hub: EventHub,
        logger: Logger,
        onResubscribe: @escaping @Sendable () async -> Void
    ) {
        self.redis = redis
        self.configuration = configuration
        self.hub = hub
        self.logger = logger
        self.onResubscribe = onResubscribe
        self.shards =
            configuration.channels == .sharded
            ? ShardSubscriptions(redis: redis, hub: hub, logger: logger, onResubscribe: onResubscribe) : nil
    }

    /// Returns once events of `family` reach the hub: at once in classic mode (the pattern
    /// covers every family); with sharded pub/sub, once its shard channel is subscribed. A
    /// stream's opening calls it before it reads the family's version.
    public func follow(_ family: FamilyID) async throws {
        try await shards?.follow(family)
    }

    /// Whether the subscription is up now (sharded: whether every family that lost its
    /// subscription has it back).
    public var isSubscribed: Bool { state.withLockedValue { $0.subscribed } && (shards?.isComplete ?? true) }

    /// How many times a subscription has been made (1 after the first).
    public var subscriptionCount: Int { state.withLockedValue { $0.subscriptions } }

    /// Probes that did not come back in time, each of which tore the subscription down.
    public var probesLost: Int { state.withLockedValue { $0.probesLost } }

    public func run() async throws {
        if let shards {
            try await runSharded(shards)
            return
        }
        await cancelWhenGracefulShutdown {
            var backoff = self.configuration.initialBackoff
            while !Task.isCancelled {
                do {
                    let subscription = try await self.subscribe()
                    backoff = self.configuration.initialBackoff
                    try await self.watch(subscription)
                } catch is CancellationError {
                    break
                } catch {
                    self.lost(error)
                    // Full jitter: gateways that lost Redis together do not come back in lockstep.
                    try? await Task.sleep(for: backoff * Double.random(in: 0.5...1.0))
                    backoff = min(backoff * 2, self.configuration.maxBackoff)
                }
            }
        }
        state.withLockedValue { $0.subscribed = false }
    }

    /// Sharded mode: sweeps until shutdown (there is no one subscription to watch or probe: each
    /// node's connection is watched by `ShardSubscriptions`).
    private func runSharded(_ shards: ShardSubscriptions) async throws {
        state.withLockedValue {
            $0.subscribed = true
            $0.subscriptions = 1
        }
        logger.info("following families on sharded pub/sub channels invalidate:{F}")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.configuration.sweepInterval)
                await shards.sweep()
            }
        }
        shards.close()
        state.withLockedValue { $0.subscribed = false }
    }

    private func subscribe() async throws -> RedisSubscription {
        let hub = self.hub
        let probeChannel = self.probeChannel
        let probes = self.probes
        // On a cluster the pattern hears every shard's events through one node, whose generation
        // is not theirs: the payload's (the gateway's own mutations name it) is what counts.
        let nodeGeneration = redis.configuration.cluster == nil
        let subscription = try await redis.subscribe(patterns: [configuration.pattern], channels: [probeChannel]) { message in
            if message.channel == probeChannel {
                probes.returned(String(decoding: message.payload, as: UTF8.self))
            } else {
                hub.deliver(channel: message.channel, message: message.payload, generation: nodeGeneration ? message.generation : nil)
            }
        }
        let count = state.withLockedValue { state -> Int in
            state.subscribed = true
            state.subscriptions += 1
            return state.subscriptions
        }
        logger.info("subscribed to Redis", metadata: ["pattern": "\(configuration.pattern)", "redis": "\(subscription.address)"])
        if count > 1 {
            hub.metrics.subscriberReconnects.increment()
            let catchUp = onResubscribe
            Task { await catchUp() }
        }
        return subscription
    }

    /// Probes the subscription until its connection closes, a probe does not come back, or the
    /// gateway shuts down; then closes the subscription and throws.
    private func watch(_ subscription: RedisSubscription) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await subscription.closed()
                try Task.checkCancellation()
                throw RedisError(.io, "the subscription's connection closed")
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: self.configuration.probeInterval)
                    try await self.probe()
                }
            }
            // Whichever ends first (the connection, a lost probe, shutdown), the subscription is
            // closed at once: the task that waits for its close must end before the group can.
            do {
                try await group.next()
            } catch {
                subscription.close()
                throw error
            }
        }
    }

    /// Publishes one probe and waits for it to come back through the subscription.
    private func probe() async throws {
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let returned = probes.expect(token)
        do {
            try await redis.send(RedisCommand("PUBLISH", probeChannel, token)).throwingServerError()
            guard try await returned.wait(timeout: configuration.probeTimeout) else {
                throw RedisError(.timeout, "the subscription probe did not come back within \(configuration.probeTimeout)")
            }
        } catch let error as RedisError {
            // A probe that cannot even be sent has not come back either.
            state.withLockedValue { $0.probesLost += 1 }
            throw error
        }
    }

    private func lost(_ error: any Error) {
        let wasSubscribed = state.withLockedValue { state -> Bool in
            defer { state.subscribed = false }
            return state.subscribed
        }
        if wasSubscribed {
            logger.warning("lost the Redis subscription; reconnecting", metadata: ["error": "\(error)"])
        } else {
            logger.debug("could not subscribe to Redis", metadata: ["error": "\(error)"])
        }
    }
}
