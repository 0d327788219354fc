import ContentQueue
import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import RedisClient

/// Sharded pub/sub for the gateway (``InvalidationChannels/sharded``): one SSUBSCRIBE per family
/// with open streams, to the family's shard channel `invalidate:{F}`, on one subscription
/// connection per node that serves such a family.
///
/// - A stream's opening calls ``follow(_:)`` before it reads the family's version, so that no
///   event published after that read is missed (as the one pattern subscription guarantees in
///   classic mode by being there all along).
/// - Families whose last stream closed are unsubscribed by ``sweep()``; the decision is taken
///   under the same lock as ``follow(_:)``'s, and a follow that finds its family being
///   unsubscribed waits for that and subscribes again, so SSUBSCRIBE never overtakes it.
/// - A family whose subscription ends without being asked (Redis pushes `sunsubscribe` when its
///   slot migrates; the node's connection closes on a failover or a new slot map) is lost:
///   ``sweep()`` subscribes it again where its slot is now, and then ``onResubscribe`` re-checks
///   the families' versions, since what was published meanwhile is gone.
final class ShardSubscriptions: Sendable {
    private enum FamilyState {
        case subscribing(Task<Void, any Error>)
        case subscribed(RedisNodeAddress)
        case unsubscribing(Task<Void, Never>)
    }

    private struct State {
        var families: [FamilyID: FamilyState] = [:]
        var links: [RedisNodeAddress: RedisSubscription] = [:]
        var connecting: [RedisNodeAddress: Task<RedisSubscription, any Error>] = [:]
        /// Families whose subscription ended without being asked.
        var lost: Set<FamilyID> = []
    }

    private let redis: RedisClient
    private let hub: EventHub
    private let logger: Logger
    private let onResubscribe: @Sendable () async -> Void
    private let state = NIOLockedValueBox(State())

    init(redis: RedisClient, hub: EventHub, logger: Logger, onResubscribe: @escaping @Sendable () async -> Void) {
        self.redis = redis
        self.hub = hub
        self.logger = logger
        self.onResubscribe = onResubscribe
    }

    /// Whether every family that lost its subscription has it back.
    var isComplete: Bool { state.withLockedValue { $0.lost.isEmpty } }

    /// Returns once `family`'s shard channel is subscribed (at once when it already is).
    func follow(_ family: FamilyID) async throws {
        while true {
            let next = state.withLockedValue { state -> FollowStep in
                switch state.families[family] {
                case .subscribed?: return .done
                case .subscribing(let task)?: return .wait(task)
                case .unsubscribing(let task)?: return .waitUnsubscribe(task)
                case nil:
                    let task = Task { try await self.subscribe(family) }
                    state.families[family] = .subscribing(task)
                    return .wait(task)
                }
            }
            switch next {
            case .done: return
            case .wait(let task): try await task.value
            case .waitUnsubscribe(let task): await task.value
            }
        }
    }

    private enum FollowStep {
        case done
        case wait(Task<Void, any Error>)
        case waitUnsubscribe(Task<Void, Never>)
    }

    /// Unsubscribes families without streams, subscribes again those that were lost, and runs
    /// ``onResubscribe`` once all lost ones are back.
    func sweep() async {
        let idle = state.withLockedValue { state -> [(FamilyID, RedisSubscription?)] in
            let open = Set(hub.openFamilies)
            var idle: [(FamilyID, RedisSubscription?)] = []
            for (family, entry) in state.families where !open.contains(family) {
                guard case .subscribed(let address) = entry else { continue }
                let link = state.links[address]
                idle.append((family, link))
                state.families[family] = .unsubscribing(
                    Task {
                        try? await link?.unsubscribe(shardChannels: [InvalidationPayload.shardChannel(family: family.rawValue)])
                        self.state.withLockedValue { state in
                            if case .unsubscribing? = state.families[family] { state.families[family] = nil }
                        }
                    }
                )
            }
            state.lost = state.lost.filter { open.contains($0) }
            return idle
        }
        if !idle.isEmpty { logger.debug("unsubscribed families without streams", metadata: ["families": "\(idle.count)"]) }
        let lost = state.withLockedValue { Array($0.lost) }
        guard !lost.isEmpty else { return }
        var back = 0
        for family in lost {
            do {
                try await follow(family)
                back += 1
            } catch {
                logger.debug("could not subscribe a family again", metadata: ["family": "\(family)", "error": "\(error)"])
            }
        }
        let complete = state.withLockedValue { state -> Bool in
            for family in lost where { if case .subscribed? = state.families[family] { true } else { false } }() {
                state.lost.remove(family)
            }
            return state.lost.isEmpty
        }
        if back > 0, complete {
            logger.info("shard subscriptions are back; re-checking the families", metadata: ["families": "\(back)"])
            hub.metrics.subscriberReconnects.increment()
            await onResubscribe()
        }
    }

    /// Closes every subscription.
    func close() {
        let links = state.withLockedValue { state in
            defer { state.links = [:] }
            return Array(state.links.values)
        }
        for link in links { link.close() }
    }

    // MARK: Subscribing

    private func subscribe(_ family: FamilyID) async throws {
        let channel = InvalidationPayload.shardChannel(family: family.rawValue)
        do {
            let link = try await link(for: RedisSlot(key: channel))
            do {
                try await link.subscribe(shardChannels: [channel])
            } catch let error as RedisError where error.message.hasPrefix("MOVED") {
                redis.topologyMayHaveChanged()
                throw error
            }
            state.withLockedValue { $0.families[family] = .subscribed(link.address) }
        } catch {
            state.withLockedValue { state in
                if case .subscribing? = state.families[family] { state.families[family] = nil }
            }
            throw error
        }
    }

    /// The subscription connection to the node that serves `slot`, made on first use.
    private func link(for slot: RedisSlot) async throws -> RedisSubscription {
        let address = try await redis.address(of: slot)
        let task = state.withLockedValue { state -> Task<RedisSubscription, any Error> in
            if let link = state.links[address], link.isActive { return Task { link } }
            if let connecting = state.connecting[address] { return connecting }
            let connecting = Task { try await self.connect(slot: slot, address: address) }
            state.connecting[address] = connecting
            return connecting
        }
        return try await task.value
    }

    private func connect(slot: RedisSlot, address: RedisNodeAddress) async throws -> RedisSubscription {
        defer { state.withLockedValue { _ = $0.connecting.removeValue(forKey: address) } }
        let hub = self.hub
        let subscription = try await redis.subscribe(slot: slot) { [weak self] message in
            switch message.kind {
            case .message:
                hub.deliver(channel: message.channel, message: message.payload, generation: message.generation)
            case .shardChannelClosed:
                self?.lost(channel: message.channel)
            }
        }
        state.withLockedValue { $0.links[subscription.address] = subscription }
        Task { [weak self] in
            await subscription.closed()
            self?.closed(subscription)
        }
        return subscription
    }

    /// Redis ended a family's subscription by itself: its slot moved.
    private func lost(channel: String) {
        guard let name = InvalidationPayload.family(ofShardChannel: channel), let family = FamilyID(name) else { return }
        state.withLockedValue { state in
            guard case .subscribed? = state.families[family] else { return }
            state.families[family] = nil
            state.lost.insert(family)
        }
        logger.info("a shard channel's slot moved; subscribing again where it is now", metadata: ["channel": "\(channel)"])
    }

    /// A node's subscription connection closed: every family on it is lost.
    private func closed(_ subscription: RedisSubscription) {
        let count = state.withLockedValue { state -> Int in
            if state.links[subscription.address] === subscription { state.links[subscription.address] = nil }
            var count = 0
            for (family, entry) in state.families {
                guard case .subscribed(let address) = entry, address == subscription.address else { continue }
                state.families[family] = nil
                state.lost.insert(family)
                count += 1
            }
            return count
        }
        if count > 0 {
            logger.warning("lost a shard subscription connection", metadata: ["redis": "\(subscription.address)", "families": "\(count)"])
            redis.topologyMayHaveChanged()
        }
    }
}
