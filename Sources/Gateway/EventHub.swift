import ContentQueue
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The one place where invalidations fan out to streams.
///
/// The hub keeps, per family with open streams, the streams' mailboxes and the newest
/// epoch and queue version it knows. Each event is encoded once and the same buffer is
/// queued to every stream of its family; streams of other families never see it.
public final class EventHub: Sendable {
    struct Family {
        var epoch: String?
        var version = 0
        var streams: [UInt64: StreamMailbox] = [:]
    }

    struct State {
        var families: [String: Family] = [:]
        var streamsPerUser: [String: Int] = [:]
        var nextID: UInt64 = 0
        var streamCount = 0
        var counters = EventHubCounters()
    }

    public let configuration: EventHubConfiguration
    let logger: Logger
    let state = NIOLockedValueBox(State())
    let heartbeatFrame = SSEFrame.comment("heartbeat")

    public init(configuration: EventHubConfiguration = .init(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Streams open now.
    public var streamCount: Int { state.withLockedValue { $0.streamCount } }

    /// Counters since start.
    public var counters: EventHubCounters { state.withLockedValue { $0.counters } }

    /// Families that have at least one open stream.
    public var openFamilies: [FamilyID] {
        state.withLockedValue { $0.families.keys.compactMap(FamilyID.init) }
    }

    /// Adds a stream for `family`. Register before reading the family's version, so that no
    /// event published in between can be missed.
    public func register(family: FamilyID) -> StreamMailbox {
        state.withLockedValue { add(family: family, user: nil, to: &$0) }
    }

    /// Adds a stream for `user` of `family`, within ``EventHubConfiguration/maxStreamsPerUser``
    /// and ``EventHubConfiguration/maxStreams``; throws ``StreamLimitExceeded`` past either.
    public func register(family: FamilyID, user: String) throws -> StreamMailbox {
        let userKey = "\(family.rawValue)/\(user)"
        return try state.withLockedValue { state in
            guard state.streamCount < configuration.maxStreams else {
                throw StreamLimitExceeded(scope: .process, limit: configuration.maxStreams)
            }
            guard state.streamsPerUser[userKey, default: 0] < configuration.maxStreamsPerUser else {
                throw StreamLimitExceeded(scope: .user, limit: configuration.maxStreamsPerUser)
            }
            state.streamsPerUser[userKey, default: 0] += 1
            return add(family: family, user: userKey, to: &state)
        }
    }

    private func add(family: FamilyID, user: String?, to state: inout State) -> StreamMailbox {
        state.nextID += 1
        let lifetime = configuration.maxStreamLifetime * Double.random(in: 0.9...1.0)
        let mailbox = StreamMailbox(
            id: state.nextID, family: family.rawValue, user: user, capacity: configuration.mailboxCapacity,
            heartbeat: heartbeatFrame, expiresAt: .now + lifetime
        )
        state.families[family.rawValue, default: Family()].streams[mailbox.id] = mailbox
        state.streamCount += 1
        return mailbox
    }

    /// Removes a stream. Safe to call more than once.
    public func unregister(_ mailbox: StreamMailbox) {
        state.withLockedValue { state in
            guard state.families[mailbox.family]?.streams.removeValue(forKey: mailbox.id) != nil else { return }
            state.streamCount -= 1
            if let user = mailbox.user {
                state.streamsPerUser[user, default: 1] -= 1
                if state.streamsPerUser[user] == 0 { state.streamsPerUser.removeValue(forKey: user) }
            }
            if state.families[mailbox.family]?.streams.isEmpty == true {
                state.families.removeValue(forKey: mailbox.family)
            }
        }
    }

    /// Relays one message received from Redis. Returns how many streams it was queued to.
    @discardableResult
    public func deliver(channel: String, message: [UInt8]) -> Int {
        let event: InvalidationEvent
        do {
            event = try InvalidationEvent(channel: channel, message: message)
        } catch {
            state.withLockedValue { $0.counters.eventsRejected += 1 }
            logger.warning("dropped an invalidation that breaks the channel contract", metadata: ["reason": "\(error)"])
            return 0
        }
        return deliver(event)
    }

    /// Relays one validated event to the streams of its family.
    @discardableResult
    public func deliver(_ event: InvalidationEvent) -> Int {
        let payload = event.payload
        let plan = state.withLockedValue { state -> (streams: [StreamMailbox], reset: FamilyVersion?, id: String?) in
            state.counters.eventsReceived += 1
            guard var family = state.families[payload.family] else { return ([], nil, nil) }
            var reset: FamilyVersion?
            if payload.key == ContentQueueStore.invalidationKey {
                if let epoch = payload.epoch, let known = family.epoch, epoch != known {
                    family.version = payload.version
                    family.epoch = epoch
                    reset = FamilyVersion(epoch: epoch, version: payload.version)
                } else {
                    family.version = max(family.version, payload.version)
                    family.epoch = family.epoch ?? payload.epoch
                }
            }
            state.families[payload.family] = family
            let streams = Array(family.streams.values)
            state.counters.eventsRelayed += streams.isEmpty ? 0 : 1
            state.counters.deliveries += streams.count
            let id = family.epoch.map { FamilyVersion(epoch: $0, version: family.version).tag }
            return (streams, reset, id)
        }
        guard !plan.streams.isEmpty else { return 0 }
        var frame = SSEFrame.event(id: plan.id, event: "invalidate", data: event.rawJSON)
        if let reset = plan.reset {
            var resetFrame = Self.resetFrame(family: event.family, current: reset)
            resetFrame.writeBuffer(&frame)
            frame = resetFrame
        }
        for stream in plan.streams { stream.enqueue(frame) }
        return plan.streams.count
    }

    /// Asks every open stream for a heartbeat comment.
    public func sendHeartbeats() {
        for stream in allStreams() { stream.requestHeartbeat() }
    }

    /// One pass over the open streams: closes those whose current write has been blocked longer
    /// than ``EventHubConfiguration/maxWriteStall`` (and their connections), and ends those past
    /// their lifetime (their clients reconnect with Last-Event-ID).
    /// Returns how many were closed for each reason.
    @discardableResult
    public func closeStalledAndExpiredStreams(now: ContinuousClock.Instant = .now) -> (stalled: Int, expired: Int) {
        let stallDeadline = now - configuration.maxWriteStall
        var stalled = 0
        var expired = 0
        for stream in allStreams() {
            if stream.abortIfStalled(since: stallDeadline) {
                stalled += 1
            } else if stream.expiresAt <= now, stream.closeReason == nil {
                stream.close(.lifetime)
                expired += 1
            }
        }
        if stalled > 0 {
            state.withLockedValue { $0.counters.slowClientCloses += stalled }
            logger.info("closed streams whose clients stopped reading", metadata: ["streams": "\(stalled)"])
        }
        return (stalled, expired)
    }

    /// Ends every open stream after what is queued for it.
    public func closeAll(_ reason: StreamMailbox.CloseReason) {
        for stream in allStreams() { stream.close(reason) }
    }

    func allStreams() -> [StreamMailbox] {
        state.withLockedValue { state in state.families.values.flatMap { $0.streams.values } }
    }

    static func resetFrame(family: FamilyID, current: FamilyVersion) -> ByteBuffer {
        let data = InvalidationPayload(
            key: ContentQueueStore.invalidationKey, family: family.rawValue, version: current.version,
            reason: "reset", epoch: current.epoch
        )
        return SSEFrame.event(id: current.tag, event: "reset", data: data.json)
    }
}

/// What the hub has done since start.
public struct EventHubCounters: Sendable, Equatable {
    /// Valid messages received from Redis.
    public var eventsReceived = 0
    /// Of those, the ones that had at least one stream to go to.
    public var eventsRelayed = 0
    /// Frames queued to streams, summed over all events.
    public var deliveries = 0
    /// Messages dropped because they broke the channel contract.
    public var eventsRejected = 0
    /// Catch-up and resync events the hub made itself.
    public var catchUps = 0
    /// Streams closed because their client stopped reading.
    public var slowClientCloses = 0
}
