import ContentQueue
import Foundation
import NIOConcurrencyHelpers
import NIOCore

extension EventHub {
    /// The first bytes of a new stream: `retry:`, then what its Last-Event-ID calls for.
    ///
    /// - no Last-Event-ID: an `id:` line alone, so the client has one for its next reconnect;
    /// - the same epoch and a version behind `current`: one `invalidate` at once;
    /// - another epoch, a version ahead of `current`, or an id that does not parse: `reset`;
    /// - up to date: the `id:` line alone.
    ///
    /// `current` is the family's state read from Redis after the stream was registered.
    public func openingFrames(for stream: StreamTicket, current: FamilyVersion, lastEventID: String?) -> ByteBuffer {
        let family = stream.family
        let epochChanged = observe(family: family, current: current)
        var buffer = SSEFrame.retry(milliseconds: configuration.retryMilliseconds)
        var body: ByteBuffer
        let trimmed = lastEventID?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if trimmed.isEmpty {
            body = SSEFrame.idOnly(current.tag)
        } else if let seen = FamilyVersion(tag: trimmed), seen.epoch == current.epoch, seen.version <= current.version {
            // A stream that did not ask for the queue's key has nothing to catch up on.
            if seen.version < current.version, stream.keys?.contains(.contentQueue) ?? true {
                let payload = InvalidationPayload(
                    key: ContentQueueStore.invalidationKey,
                    family: family.rawValue,
                    version: current.version,
                    reason: InvalidationReason.catchUp.rawValue,
                    epoch: current.epoch
                )
                body = SSEFrame.event(id: current.tag, event: "invalidate", data: payload.json)
                state.withLockedValue { $0.counters.catchUps += 1 }
            } else {
                body = SSEFrame.idOnly(current.tag)
            }
        } else {
            body = Self.resetFrame(family: family, current: current)
        }
        buffer.writeBuffer(&body)
        if epochChanged {
            // The new stream gets the reset frame too, queued behind its opening; a client
            // treats a second reset as one more refetch, which is harmless.
            broadcast(Self.resetFrame(family: family, current: current), family: family, key: nil)
        }
        return buffer
    }

    /// Compares versions re-read from Redis with what the hub relayed: a family whose epoch
    /// changed gets `reset` on every stream, one whose version is ahead gets one `invalidate`.
    /// Returns the number of families that were behind.
    @discardableResult
    public func reconcile(_ versions: [FamilyID: FamilyVersion]) -> Int {
        var behind = 0
        for (family, current) in versions {
            let (epochChanged, wasBehind) = state.withLockedValue { state -> (Bool, Bool) in
                guard var entry = state.families[family] else { return (false, false) }
                let epochChanged = entry.epoch != nil && entry.epoch != current.epoch
                let wasBehind = !epochChanged && current.version > entry.version
                entry.epoch = current.epoch
                entry.version = epochChanged ? current.version : max(entry.version, current.version)
                state.families[family] = entry
                if epochChanged || wasBehind { state.counters.catchUps += 1 }
                return (epochChanged, wasBehind)
            }
            let frame: ByteBuffer
            var key: String? = ContentQueueStore.invalidationKey
            if epochChanged {
                frame = Self.resetFrame(family: family, current: current)
                key = nil
            } else if wasBehind {
                let payload = InvalidationPayload(
                    key: ContentQueueStore.invalidationKey,
                    family: family.rawValue,
                    version: current.version,
                    reason: InvalidationReason.resync.rawValue,
                    epoch: current.epoch
                )
                frame = SSEFrame.event(id: current.tag, event: "invalidate", data: payload.json)
            } else {
                continue
            }
            behind += 1
            broadcast(frame, family: family, key: key)
        }
        return behind
    }

    /// Records the family's state read from Redis; returns whether its streams must be reset (the epoch changed).
    private func observe(family: FamilyID, current: FamilyVersion) -> Bool {
        state.withLockedValue { state -> Bool in
            guard var entry = state.families[family] else { return false }
            let epochChanged = entry.epoch != nil && entry.epoch != current.epoch
            entry.epoch = current.epoch
            entry.version = epochChanged ? current.version : max(entry.version, current.version)
            state.families[family] = entry
            return epochChanged
        }
    }
}
