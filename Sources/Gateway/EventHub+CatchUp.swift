import ContentQueue
import Foundation
import NIOConcurrencyHelpers
import NIOCore

extension EventHub {
    /// The first bytes of a new stream: `retry:`, then what its Last-Event-ID calls for.
    ///
    /// - no Last-Event-ID: an `id:` line alone, so the client has one for its next reconnect;
    /// - the same history (epoch and generation) and a version behind `current`: one `invalidate`;
    /// - another generation (a failover since, or an id from before generations) up to
    ///   `current`'s version: one `invalidate`, since this node cannot vouch for that state;
    /// - another epoch, a version ahead of `current`, or an id that does not parse: `reset`;
    /// - up to date: the `id:` line alone.
    ///
    /// `current` is the family's state read from Redis after the stream was registered.
    public func openingFrames(for stream: StreamTicket, current: FamilyVersion, lastEventID: String?) -> ByteBuffer {
        let family = stream.family
        let change = observe(family: family, current: current)
        var buffer = SSEFrame.retry(milliseconds: configuration.retryMilliseconds)
        var body: ByteBuffer
        let trimmed = lastEventID?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if trimmed.isEmpty {
            body = SSEFrame.idOnly(current.tag)
        } else if let seen = FamilyVersion(tag: trimmed), seen.epoch == current.epoch, seen.version <= current.version {
            let wantsQueue = stream.keys?.contains(.contentQueue) ?? true
            if seen.version < current.version || !seen.isSameHistory(as: current), wantsQueue {
                body = Self.invalidateFrame(family: family, current: current, reason: .catchUp)
                state.withLockedValue { $0.counters.catchUps += 1 }
            } else if !seen.isSameHistory(as: current) {
                // Its keys' versions are not tracked: after a change of master, all of them may be stale.
                body = Self.resetFrame(family: family, current: current)
            } else {
                // A stream that did not ask for the queue's key has nothing to catch up on.
                body = SSEFrame.idOnly(current.tag)
            }
        } else {
            body = Self.resetFrame(family: family, current: current)
        }
        buffer.writeBuffer(&body)
        // A read ahead of the hub in the same history is an event on its way: it will tell the
        // others. Anything else is told now; the new stream gets the same frame as the others,
        // queued behind its opening (one more refetch is harmless).
        if change != .ahead { announce(change, family: family, current: current) }
        return buffer
    }

    /// Compares versions re-read from Redis with what the hub relayed: a family whose state
    /// went back (another epoch, or a new master behind what was relayed) gets `reset` on every
    /// stream; one that moved on, or whose master changed, gets one `invalidate`. Returns the
    /// number of families told.
    @discardableResult
    public func reconcile(_ versions: [FamilyID: FamilyVersion]) -> Int {
        var told = 0
        for (family, current) in versions where announce(observe(family: family, current: current), family: family, current: current) {
            told += 1
        }
        return told
    }

    /// Records the family's state read from Redis and returns what its streams must hear.
    private func observe(family: FamilyID, current: FamilyVersion) -> FamilyHistory.Change {
        state.withLockedValue { state -> FamilyHistory.Change in
            guard var entry = state.families[family] else { return .none }
            let change = entry.history.read(current, generationsMayReturn: configuration.generationsMayReturn)
            state.families[family] = entry
            return change
        }
    }

    /// Sends every stream of `family` what `change` calls for; returns whether it sent anything.
    @discardableResult
    private func announce(_ change: FamilyHistory.Change, family: FamilyID, current: FamilyVersion) -> Bool {
        state.withLockedValue { state in
            switch change {
            case .none: break
            case .ahead, .newHistory: state.counters.catchUps += 1
            case .reset: state.counters.resets += 1
            }
        }
        switch change {
        case .none:
            return false
        case .ahead:
            broadcast(Self.invalidateFrame(family: family, current: current, reason: .resync), family: family, key: ContentQueueStore.invalidationKey)
        case .newHistory:
            broadcast(
                Self.invalidateFrame(family: family, current: current, reason: .resync),
                family: family,
                key: ContentQueueStore.invalidationKey,
                others: Self.resetFrame(family: family, current: current)
            )
        case .reset:
            broadcast(Self.resetFrame(family: family, current: current), family: family, key: nil)
        }
        return true
    }

    static func invalidateFrame(family: FamilyID, current: FamilyVersion, reason: InvalidationReason) -> ByteBuffer {
        let payload = InvalidationPayload(
            key: ContentQueueStore.invalidationKey,
            family: family.rawValue,
            version: current.version,
            reason: reason.rawValue,
            epoch: current.epoch
        )
        return SSEFrame.event(id: current.tag, event: "invalidate", data: payload.json)
    }
}
