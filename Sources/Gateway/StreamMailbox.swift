import NIOConcurrencyHelpers
import NIOCore

/// What waits for one SSE stream: a few shared frames, a heartbeat flag, a close flag.
///
/// The hub enqueues from any thread; the stream's writer takes everything at once, so
/// several events that piled up go out in one write. The queue is bounded: past
/// ``capacity`` the oldest frame is dropped, which is safe because every invalidation
/// supersedes the ones before it (the client refetches either way). Memory per stream
/// therefore stays constant whatever the publish rate or the client's speed.
public final class StreamMailbox: Sendable {
    /// Why a stream ends.
    public enum CloseReason: Sendable, Equatable {
        /// The gateway is shutting down.
        case shutdown
        /// The client went away or the task was cancelled.
        case cancelled
        /// The client stopped reading: a write stayed blocked past the hub's limit.
        case stalled
        /// The stream reached its maximum lifetime.
        case lifetime
    }

    /// Everything the writer should send now.
    public struct Batch: Sendable {
        /// Frames in order, joined into one buffer (empty when there is nothing to send).
        public var buffer: ByteBuffer
        /// Set when the stream must end after `buffer` is written.
        public var close: CloseReason?
    }

    fileprivate struct State {
        var frames: [ByteBuffer] = []
        var heartbeatDue = false
        var close: CloseReason?
        var waiter: CheckedContinuation<Void, Never>?
        var dropped = 0
        var writingSince: ContinuousClock.Instant?
        var abortConnection: (@Sendable () -> Void)?
    }

    /// Unique within the process.
    public let id: UInt64
    /// The family whose events this stream receives.
    public let family: String
    /// Frames kept at most before the oldest is dropped.
    public let capacity: Int
    private let heartbeat: ByteBuffer
    private let state = NIOLockedValueBox(State())

    /// `<family>/<user>` when the stream counts against a user's limit.
    public let user: String?
    /// When the stream ends to make its client reconnect.
    public let expiresAt: ContinuousClock.Instant

    init(id: UInt64, family: String, user: String?, capacity: Int, heartbeat: ByteBuffer, expiresAt: ContinuousClock.Instant) {
        self.id = id
        self.family = family
        self.user = user
        self.expiresAt = expiresAt
        self.capacity = max(1, capacity)
        self.heartbeat = heartbeat
    }

    /// Why the stream is ending, once it is.
    public var closeReason: CloseReason? { state.withLockedValue { $0.close } }

    /// Frames dropped so far because the client read too slowly.
    public var droppedFrames: Int { state.withLockedValue { $0.dropped } }

    /// Queues a frame and wakes the writer.
    func enqueue(_ frame: ByteBuffer) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            guard state.close == nil else { return nil }
            if state.frames.count >= capacity {
                state.frames.removeFirst()
                state.dropped += 1
            }
            state.frames.append(frame)
            return state.takeWaiter()
        }
        waiter?.resume()
    }

    /// Asks for a heartbeat comment unless something else is about to be written anyway.
    func requestHeartbeat() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            guard state.close == nil else { return nil }
            state.heartbeatDue = true
            return state.takeWaiter()
        }
        waiter?.resume()
    }

    /// Ends the stream after what is queued. The first reason wins.
    public func close(_ reason: CloseReason) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            if state.close == nil { state.close = reason }
            return state.takeWaiter()
        }
        waiter?.resume()
    }

    /// Gives the mailbox a way to close the client's connection, used when a write stalls.
    public func onAbort(_ abortConnection: @escaping @Sendable () -> Void) {
        state.withLockedValue { $0.abortConnection = abortConnection }
    }

    /// Marks the start of a write to the socket; the hub closes streams whose write stays open too long.
    public func writeStarted(at instant: ContinuousClock.Instant = .now) {
        state.withLockedValue { $0.writingSince = instant }
    }

    /// Marks the end of a write.
    public func writeFinished() {
        state.withLockedValue { $0.writingSince = nil }
    }

    /// Closes the stream and its connection if a write has been blocked since before `deadline`.
    /// Returns whether it did.
    func abortIfStalled(since deadline: ContinuousClock.Instant) -> Bool {
        let (abort, waiter) = state.withLockedValue { state -> ((@Sendable () -> Void)?, CheckedContinuation<Void, Never>?) in
            guard let since = state.writingSince, since < deadline, state.close != .stalled else { return (nil, nil) }
            state.close = .stalled
            state.frames.removeAll()
            return (state.abortConnection ?? {}, state.takeWaiter())
        }
        waiter?.resume()
        guard let abort else { return false }
        // Closing the channel fails the blocked write, which ends the stream's task.
        abort()
        return true
    }

    /// Waits until there is something to write, then takes all of it.
    public func next() async -> Batch {
        while true {
            if let batch = take() { return batch }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLockedValue { state -> Bool in
                        if state.hasWork { return true }
                        state.waiter = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                self.close(.cancelled)
            }
        }
    }

    private func take() -> Batch? {
        state.withLockedValue { state -> Batch? in
            guard state.hasWork else { return nil }
            var buffer: ByteBuffer
            switch state.frames.count {
            case 0:
                buffer = state.heartbeatDue ? heartbeat : ByteBuffer()
            case 1:
                buffer = state.frames[0]
            default:
                buffer = ByteBuffer()
                buffer.reserveCapacity(state.frames.reduce(0) { $0 + $1.readableBytes })
                for var frame in state.frames { buffer.writeBuffer(&frame) }
            }
            state.frames.removeAll(keepingCapacity: true)
            state.heartbeatDue = false
            return Batch(buffer: buffer, close: state.close)
        }
    }
}

extension StreamMailbox.State {
    var hasWork: Bool { !frames.isEmpty || heartbeatDue || close != nil }

    mutating func takeWaiter() -> CheckedContinuation<Void, Never>? {
        defer { waiter = nil }
        return waiter
    }
}
