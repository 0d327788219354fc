import ContentQueue
import NIOConcurrencyHelpers
import NIOCore

/// The fast path: the streams of one event loop, and the frames on their way to them.
///
/// Why it is shaped this way: a task, an async sequence and an event-loop hop per stream per
/// event cost about 13 µs of CPU and 40 KiB of memory per stream (measured; see docs/benchmarks.md). Here an
/// event costs one hop per *loop*: the hub encodes the frame once and appends it to each
/// loop's inbox that has streams of its family; the loop drains its inbox, writes the same
/// `ByteBuffer` into every stream's pipeline and flushes each stream once per drain. When the
/// loop falls behind, several frames reach a stream in one drain and leave in one flush, so the
/// cost per event falls as load rises instead of piling up.
///
/// The stream table is touched on the loop only (hence `@unchecked Sendable`: the loop, not the
/// compiler, guards it); the inbox is the one lock, held just long enough to append or swap an array.
final class LoopFanout: @unchecked Sendable {
    /// What waits for the loop: frames for one family, or work on every stream.
    enum Job: Sendable {
        /// `key` nil: for every stream of the family (a reset), whatever keys it asked for.
        /// `others`: what the family's streams that did not ask for `key` get instead, if anything.
        case frame(family: FamilyID, key: String?, ByteBuffer, others: ByteBuffer? = nil)
        /// For the streams of heartbeat slice `slice` of `slices` (every stream when `slices` is 1).
        case heartbeat(ByteBuffer, slice: Int, slices: Int)
        case sweep(now: ContinuousClock.Instant, stallDeadline: NIODeadline)
        case closeAll(StreamCloseReason)
    }

    struct Inbox {
        var jobs: [Job] = []
        var scheduled = false
    }

    let eventLoop: any EventLoop
    /// Family -> its streams on this loop, in an array (each handler knows its slot) because
    /// walking a contiguous array is the inner loop of every event. On `eventLoop` only.
    private var streams: [FamilyID: [SSEStreamHandler]] = [:]
    private let inbox = NIOLockedValueBox(Inbox())
    /// The heartbeat slice the next stream gets: streams take turns, so every slice holds about
    /// as many. On `eventLoop` only.
    private var nextHeartbeatSlice = 0
    /// Reports streams closed by a sweep: (stalled, expired).
    private let onSweep: @Sendable (Int, Int) -> Void

    init(eventLoop: any EventLoop, onSweep: @escaping @Sendable (Int, Int) -> Void) {
        self.eventLoop = eventLoop
        self.onSweep = onSweep
    }

    /// Queues a job; the loop runs every queued job in one go.
    func submit(_ job: Job) {
        let schedule = inbox.withLockedValue { inbox -> Bool in
            inbox.jobs.append(job)
            defer { inbox.scheduled = true }
            return !inbox.scheduled
        }
        if schedule { eventLoop.execute { self.drain() } }
    }

    /// Adds a stream; call on the loop. `onEnd` runs once, on the loop, when the stream ends,
    /// after it has left this table.
    func add(_ handler: SSEStreamHandler, ticket: StreamTicket, onEnd: @escaping (StreamCloseReason) -> Void) {
        eventLoop.assertInEventLoop()
        handler.begin(ticket) { [self, weak handler] reason in
            if let handler { remove(handler) }
            onEnd(reason)
        }
        handler.heartbeatSlice = nextHeartbeatSlice
        nextHeartbeatSlice = (nextHeartbeatSlice + 1) % Self.heartbeatSliceCycle
        handler.slot = streams[ticket.family, default: []].count
        streams[ticket.family, default: []].append(handler)
    }

    /// Removes a stream; call on the loop. Returns whether it was there.
    @discardableResult
    private func remove(_ handler: SSEStreamHandler) -> Bool {
        eventLoop.assertInEventLoop()
        let slot = handler.slot
        guard let family = handler.ticket?.family, let count = streams[family]?.count, (0..<count).contains(slot),
            streams[family]![slot] === handler
        else { return false }
        // Swap with the last one: O(1), and the order of streams does not matter. The array is
        // changed in place in the dictionary (never copied out), so closing many is not quadratic.
        streams[family]!.swapAt(slot, count - 1)
        streams[family]![slot].slot = slot
        streams[family]!.removeLast()
        handler.slot = -1
        if count == 1 { streams[family] = nil }
        return true
    }

    private func drain() {
        eventLoop.assertInEventLoop()
        let jobs = inbox.withLockedValue { inbox -> [Job] in
            inbox.scheduled = false
            defer { inbox.jobs.removeAll(keepingCapacity: true) }
            return inbox.jobs
        }
        // With one job there is nothing to batch: flush as we go and skip the bookkeeping.
        let batching = jobs.count > 1
        var touched: [SSEStreamHandler] = []
        var stalled = 0
        var expired = 0
        for job in jobs {
            switch job {
            case .frame(let family, let key, let frame, let others):
                guard let handlers = streams[family] else { continue }
                for handler in handlers {
                    var frame = frame
                    if let key, let wanted = handler.keys, !wanted.contains(key) {
                        guard let others else { continue }
                        frame = others
                    }
                    handler.send(frame, flush: !batching)
                    if batching { touched.append(handler) }
                }
            case .heartbeat(let frame, let slice, let slices):
                for handlers in streams.values {
                    for handler in handlers where handler.heartbeatSlice % slices == slice {
                        handler.send(frame, flush: !batching)
                        if batching { touched.append(handler) }
                    }
                }
            case .sweep(let now, let stallDeadline):
                for handler in allHandlers() {
                    switch handler.sweep(now: now, stallDeadline: stallDeadline) {
                    case .stalled?: stalled += 1
                    case .lifetime?, .credentialExpired?: expired += 1
                    default: break
                    }
                }
            case .closeAll(let reason):
                for handler in allHandlers() { handler.finish(reason) }
            }
        }
        // One flush per stream per drain, however many frames it got.
        for handler in touched { handler.flushIfNeeded() }
        if stalled + expired > 0 { onSweep(stalled, expired) }
    }

    /// Streams' slices count up to this and start again; a multiple of every slice count up to 16,
    /// so that `heartbeatSlice % slices` spreads them evenly for each.
    static let heartbeatSliceCycle = 720_720

    private func allHandlers() -> [SSEStreamHandler] {
        streams.values.flatMap { $0 }
    }
}
