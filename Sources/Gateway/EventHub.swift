import ContentQueue
import CoreMetrics
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RedisClient

/// The one place where invalidations fan out to streams.
///
/// The hub keeps, per family with open streams, the newest state of its queue it knows
/// (``FamilyHistory``) and on which event loops the family's streams live. Each event is encoded once and handed
/// to the ``LoopFanout`` of each of those loops, which writes the same buffer to every stream
/// of the family there; streams of other families never see it.
public final class EventHub: Sendable {
    struct Family {
        var history = FamilyHistory()
        var streams = 0
        /// Streams of this family per event loop.
        var loops: [ObjectIdentifier: Int] = [:]
    }

    struct State {
        var families: [FamilyID: Family] = [:]
        var loops: [ObjectIdentifier: LoopFanout] = [:]
        var streamsPerOwner: [StreamOwner: Int] = [:]
        /// Ids of open streams, so that closing one twice is harmless.
        var open: Set<UInt64> = []
        var nextID: UInt64 = 0
        var streamCount = 0
        var counters = EventHubCounters()
    }

    public let configuration: EventHubConfiguration
    /// Recorded where ``EventHubCounters`` are counted: per event and per stream, never per delivery.
    public let metrics: GatewayMetrics
    let logger: Logger
    let state = NIOLockedValueBox(State())
    let heartbeatFrame = SSEFrame.comment("heartbeat")

    public init(configuration: EventHubConfiguration = .init(), metrics: GatewayMetrics = .none, logger: Logger) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// Streams open now.
    public var streamCount: Int { state.withLockedValue { $0.streamCount } }

    /// Counters since start.
    public var counters: EventHubCounters { state.withLockedValue { $0.counters } }

    /// Families that have at least one open stream.
    public var openFamilies: [FamilyID] {
        state.withLockedValue { Array($0.families.keys) }
    }

    /// Opens a stream: registers `handler` for the request's family (within
    /// ``EventHubConfiguration/maxStreamsPerUser`` and ``EventHubConfiguration/maxStreams``;
    /// throws ``StreamLimitExceeded`` past either), then asks `current` for the family's state
    /// and returns the stream with its opening frames.
    ///
    /// From the moment the handler is registered, the family's events queue in it until the
    /// stream goes live; `current` is read after that, so no event published in between can be
    /// missed. If `current` throws, the stream is released and the error rethrown.
    public func open(
        _ request: StreamRequest,
        handler: NIOLoopBound<SSEStreamHandler>,
        current: @Sendable (FamilyID) async throws -> FamilyVersion
    ) async throws -> OpenedStream {
        let eventLoop = handler.eventLoop
        let loopID = ObjectIdentifier(eventLoop)
        let (ticket, fanout) = try state.withLockedValue { state -> (StreamTicket, LoopFanout) in
            let owner = request.user.map { StreamOwner(family: request.family, user: $0) }
            guard state.streamCount < configuration.maxStreams else {
                throw StreamLimitExceeded(scope: .process, limit: configuration.maxStreams)
            }
            if let owner {
                guard state.streamsPerOwner[owner, default: 0] < configuration.maxStreamsPerUser else {
                    throw StreamLimitExceeded(scope: .user, limit: configuration.maxStreamsPerUser)
                }
                state.streamsPerOwner[owner, default: 0] += 1
            }
            state.nextID += 1
            let lifetimeEnd = ContinuousClock.now + configuration.maxStreamLifetime * Double.random(in: 0.9...1.0)
            let credentialEnd = request.credentialExpiry.flatMap { $0 < lifetimeEnd ? $0 : nil }
            let ticket = StreamTicket(
                id: state.nextID,
                family: request.family,
                owner: owner,
                expiresAt: credentialEnd ?? lifetimeEnd,
                endsWithCredential: credentialEnd != nil,
                keys: request.keys
            )
            state.open.insert(ticket.id)
            state.families[request.family, default: Family()].streams += 1
            state.families[request.family]!.loops[loopID, default: 0] += 1
            state.streamCount += 1
            let fanout =
                state.loops[loopID]
                ?? LoopFanout(eventLoop: eventLoop) { [weak self] stalled, _ in
                    self?.recordSlowClientCloses(stalled)
                }
            state.loops[loopID] = fanout
            return (ticket, fanout)
        }
        metrics.streamsOpen.increment()
        do {
            try await eventLoop.submit {
                fanout.add(handler.value, ticket: ticket) { [weak self] _ in self?.release(ticket, loopID: loopID) }
            }.get()
        } catch {
            release(ticket, loopID: loopID)
            throw error
        }
        do {
            let version = try await current(request.family)
            let opening = openingFrames(for: ticket, current: version, lastEventID: request.lastEventID)
            return OpenedStream(ticket: ticket, opening: opening, openedAt: version, handler: handler)
        } catch {
            eventLoop.execute { handler.value.finish(.cancelled) }
            throw error
        }
    }

    /// Takes a stream off the counts; returns false if it was not open.
    @discardableResult
    private func release(_ ticket: StreamTicket, loopID: ObjectIdentifier) -> Bool {
        let released = state.withLockedValue { state -> Bool in
            guard state.open.remove(ticket.id) != nil, var family = state.families[ticket.family] else { return false }
            family.streams -= 1
            family.loops[loopID, default: 1] -= 1
            if family.loops[loopID] == 0 { family.loops.removeValue(forKey: loopID) }
            state.families[ticket.family] = family.streams == 0 ? nil : family
            state.streamCount -= 1
            if let owner = ticket.owner {
                state.streamsPerOwner[owner, default: 1] -= 1
                if state.streamsPerOwner[owner] == 0 { state.streamsPerOwner.removeValue(forKey: owner) }
            }
            return true
        }
        if released { metrics.streamsOpen.decrement() }
        return released
    }

    /// Relays one message received from Redis, from a node of `generation`. Returns how many
    /// streams it was sent to.
    @discardableResult
    public func deliver(channel: String, message: [UInt8], generation: RedisGeneration? = nil) -> Int {
        let event: InvalidationEvent
        do {
            event = try InvalidationEvent(channel: channel, message: message)
        } catch {
            state.withLockedValue { $0.counters.eventsRejected += 1 }
            metrics.eventsRejected.increment()
            logger.warning("dropped an invalidation that breaks the channel contract", metadata: ["reason": "\(error)"])
            return 0
        }
        return deliver(event, generation: generation)
    }

    /// Relays one validated event, from a node of `generation`, to the streams of its family.
    /// The generation the payload names, when it names one, wins over the node's (an event heard
    /// through another node). An event of the content queue from a generation the family has
    /// left is dropped; one that shows the family's state went back resets its streams first.
    @discardableResult
    public func deliver(_ event: InvalidationEvent, generation: RedisGeneration? = nil) -> Int {
        let payload = event.payload
        let generation = payload.generation.flatMap { RedisGeneration($0) } ?? generation
        typealias Plan = (streams: Int, loops: [LoopFanout], change: FamilyHistory.Change, known: FamilyVersion?)
        let plan = state.withLockedValue { state -> Plan in
            state.counters.eventsReceived += 1
            guard var family = state.families[event.family] else { return (0, [], .none, nil) }
            var change = FamilyHistory.Change.none
            if payload.key == ContentQueueStore.invalidationKey {
                guard let heard = family.history.heard(epoch: payload.epoch, generation: generation, version: payload.version) else {
                    state.counters.staleEventsDropped += 1
                    return (0, [], .none, nil)
                }
                change = heard
                if change == .reset { state.counters.resets += 1 }
            }
            state.families[event.family] = family
            state.counters.eventsRelayed += 1
            state.counters.deliveries += family.streams
            return (family.streams, family.loops.keys.compactMap { state.loops[$0] }, change, family.history.known)
        }
        guard plan.streams > 0 else { return 0 }
        // Counted per event, here rather than in the fan-out loops: one atomic add per event
        // whatever the number of streams.
        metrics.eventsRelayed.increment()
        metrics.deliveries.increment(by: plan.streams)
        if let ts = payload.ts {
            // Publisher and gateway clocks may differ by a little; a negative lag is just "now".
            let nowMilliseconds = Int64(Date().timeIntervalSince1970 * 1000)
            metrics.deliveryLag.recordMilliseconds(max(0, nowMilliseconds - ts))
        }
        let frame = SSEFrame.event(id: plan.known?.tag, event: "invalidate", data: event.rawJSON)
        let reset = plan.known.map { Self.resetFrame(family: event.family, current: $0) }
        for fanout in plan.loops {
            switch plan.change {
            case .reset:
                // A reset goes to every stream first, then the event to those that want its key.
                if let reset { fanout.submit(.frame(family: event.family, key: nil, reset)) }
                fanout.submit(.frame(family: event.family, key: payload.key, frame))
            case .newHistory:
                // The event tells the queue's streams; the others' keys may be stale too.
                fanout.submit(.frame(family: event.family, key: payload.key, frame, others: reset))
            case .none, .ahead:
                fanout.submit(.frame(family: event.family, key: payload.key, frame))
            }
        }
        return plan.streams
    }

    /// Sends `frame` to every open stream of `family` that wants `key` (all of them when `key` is
    /// nil), and `others` (if any) to the rest.
    func broadcast(_ frame: ByteBuffer, family: FamilyID, key: String?, others: ByteBuffer? = nil) {
        let loops = state.withLockedValue { state in
            state.families[family]?.loops.keys.compactMap { state.loops[$0] } ?? []
        }
        for fanout in loops { fanout.submit(.frame(family: family, key: key, frame, others: others)) }
    }

    /// Sends a heartbeat comment to the open streams of slice `slice` of `slices`: with the
    /// defaults, to every open stream. Each stream is in one slice, and the slices are about equal.
    public func sendHeartbeats(slice: Int = 0, of slices: Int = 1) {
        precondition(slices >= 1 && (0..<slices).contains(slice), "slice \(slice) of \(slices)")
        for fanout in allLoops() { fanout.submit(.heartbeat(heartbeatFrame, slice: slice, slices: slices)) }
    }

    /// Closes the streams whose connection has been unwritable (the client stopped reading)
    /// longer than ``EventHubConfiguration/maxWriteStall``, and ends those past their lifetime
    /// (their clients reconnect with Last-Event-ID). Each event loop does its own streams.
    public func closeStalledAndExpiredStreams(now: ContinuousClock.Instant = .now) {
        let stallDeadline = NIODeadline.now() - TimeAmount(configuration.maxWriteStall)
        for fanout in allLoops() { fanout.submit(.sweep(now: now, stallDeadline: stallDeadline)) }
    }

    /// Ends every open stream after what is queued for it.
    public func closeAll(_ reason: StreamCloseReason) {
        for fanout in allLoops() { fanout.submit(.closeAll(reason)) }
    }

    private func allLoops() -> [LoopFanout] {
        state.withLockedValue { Array($0.loops.values) }
    }

    private func recordSlowClientCloses(_ count: Int) {
        guard count > 0 else { return }
        state.withLockedValue { $0.counters.slowClientCloses += count }
        metrics.slowClientCloses.increment(by: count)
        logger.info("closed streams whose clients stopped reading", metadata: ["streams": "\(count)"])
    }

    static func resetFrame(family: FamilyID, current: FamilyVersion) -> ByteBuffer {
        let data = InvalidationPayload(
            key: ContentQueueStore.invalidationKey,
            family: family.rawValue,
            version: current.version,
            reason: "reset",
            epoch: current.epoch
        )
        return SSEFrame.event(id: current.tag, event: "reset", data: data.json)
    }
}
