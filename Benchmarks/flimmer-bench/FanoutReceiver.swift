import CEpoll
import Foundation
import Glibc
import Synchronization

/// Holds N streams open on one dedicated thread (non-blocking sockets, epoll) and counts
/// which versions each stream received, with the kernel's receive time of each read.
///
/// One plain thread instead of Swift concurrency: the hot loop is a recvmsg and a marker search per read,
/// and a task per stream cost a whole core at about 1,000 streams.
final class FanoutReceiver: @unchecked Sendable {
    struct Plan {
        var endpoint: Endpoint
        /// The bytes each stream sends once connected (an HTTP GET or a RESP SUBSCRIBE).
        var requests: [[UInt8]]
        /// HTTP: wait for a `200` response head. Otherwise (Redis) the first bytes accept the stream.
        var http: Bool
        /// The highest event number of the run; with `events` nil also every stream's last version.
        var finalSeq: Int
        /// Connects started but not yet answered; bounded so that the server's SYN and accept
        /// backlogs never overflow (a dropped SYN costs a 1 s retransmit and skews the connect phase).
        var maxInFlight = 250
        /// Keep each stream's last `id:` value (the storm reconnects with it).
        var recordIDs = false
        /// Per stream, which events its versions are (several families in one run); nil: version
        /// N is event N on every stream, and `finalSeq` is every stream's last.
        var events: [StreamEvents]? = nil
        /// Event numbers at which a new phase starts: each phase's deliveries get a histogram of their own.
        var phaseStarts: [Int] = []
    }

    /// Oddities seen while reading; all should stay 0 except `closedByServer` after a server stop.
    struct Counters {
        var parseMisses = 0
        var duplicates = 0
        /// Versions above the last one published (should never happen).
        var beyondFinal = 0
        var untimestamped = 0
        var closedByServer = 0
        var failures: [String: Int] = [:]
    }

    let plan: Plan
    let sendTimes: SendTimes
    /// Streams accepted (status 200, or Redis's subscribe reply).
    let connected = Atomic<Int>(0)
    /// Streams that failed before they were accepted.
    let failed = Atomic<Int>(0)
    /// Streams that reached the final version or ended.
    let settled = Atomic<Int>(0)
    /// The receiver thread's CPU clock (pthread_getcpuclockid), once the thread runs.
    let threadClock = Atomic<Int32>(-1)
    private let stopRequested = Atomic<Bool>(false)
    private let done = Atomic<Bool>(false)

    // Owned by the receiver thread until `done`; read by others only after `stop()` returned.
    var streams: [StreamState]
    /// Per phase (see `Plan.phaseStarts`): kernel receive time − send time of each delivery.
    var phaseHistograms: [LatencyHistogram]
    /// Per read that delivered an event: the time of the read − the kernel's receive time.
    var readLag = LatencyHistogram()
    /// Per version: how many streams received it, and the latest kernel receive time among them.
    var eventCounts: [Int32]
    var lastArrival: [Int64]
    var counters = Counters()

    var epollFD: Int32 = -1
    var nextToStart = 0
    var inFlight = 0
    /// Read buffer with `carryRoom` bytes in front, where the previous read's tail is copied.
    static let carryRoom = 64
    static let readSize = 64 * 1024
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: carryRoom + readSize)
    let carryPool: UnsafeMutablePointer<UInt8>
    let control = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 8)

    init(plan: Plan, sendTimes: SendTimes) {
        self.plan = plan
        self.sendTimes = sendTimes
        let single = StreamEvents(offset: 1, stride: 1, final: plan.finalSeq)
        streams = plan.requests.indices.map { StreamState(events: plan.events?[$0] ?? single) }
        phaseHistograms = Array(repeating: LatencyHistogram(), count: plan.phaseStarts.count + 1)
        eventCounts = Array(repeating: 0, count: plan.finalSeq + 1)
        lastArrival = Array(repeating: 0, count: plan.finalSeq + 1)
        carryPool = .allocate(capacity: Swift.max(1, plan.requests.count) * Self.carryRoom)
    }

    deinit {
        buffer.deallocate()
        carryPool.deallocate()
        control.deallocate()
    }

    /// Every delivery's latency, all phases together.
    var histogram: LatencyHistogram {
        var all = LatencyHistogram()
        for phase in phaseHistograms { all.merge(phase) }
        return all
    }

    func start() {
        Thread { [self] in
            ThreadName.set("fanout-recv")
            run()
        }.start()
    }

    /// Asks the thread to close every socket at once and exit, and waits until it has.
    func stop() async {
        stopRequested.store(true, ordering: .releasing)
        while !done.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// CPU time the receiver thread has used so far, in nanoseconds.
    func threadCPU() -> Int64? {
        let clock = threadClock.load(ordering: .acquiring)
        return clock == -1 ? nil : Realtime.cpu(clockid_t(clock))
    }

    private func run() {
        var clock = clockid_t()
        if pthread_getcpuclockid(pthread_self(), &clock) == 0 { threadClock.store(Int32(clock), ordering: .releasing) }
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        let capacity = 1024
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        startConnects()
        while !stopRequested.load(ordering: .acquiring) {
            let ready = epoll_wait(epollFD, events, Int32(capacity), 20)
            if ready > 0 {
                for slot in 0..<Int(ready) {
                    handle(Int(events[slot].data.u64), events: events[slot].events)
                }
            }
            startConnects()
        }
        for index in streams.indices where streams[index].fd >= 0 {
            close(streams[index].fd)
            streams[index].fd = -1
        }
        close(epollFD)
        done.store(true, ordering: .releasing)
    }

    /// Starts connects while fewer than `maxInFlight` are unanswered.
    private func startConnects() {
        while inFlight < plan.maxInFlight, nextToStart < streams.count {
            let index = nextToStart
            nextToStart += 1
            inFlight += 1
            open(index)
        }
    }

    private func open(_ index: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return fail(index, "socket errno \(errno)") }
        streams[index].fd = fd
        streams[index].phase = .connecting
        var one: Int32 = 1
        // SO_TIMESTAMPNS is 35 on Linux x86_64 (asm-generic/socket.h); Glibc's macro does not
        // import into Swift. It makes recvmsg return the skb's CLOCK_REALTIME arrival time.
        setsockopt(fd, SOL_SOCKET, 35, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = plan.endpoint.socketAddress
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 || errno == EINPROGRESS else { return fail(index, "connect errno \(errno)") }
        var event = epoll_event()
        event.events = EPOLLOUT.rawValue
        event.data.u64 = UInt64(index)
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else { return fail(index, "epoll_ctl errno \(errno)") }
    }

    private func handle(_ index: Int, events: UInt32) {
        switch streams[index].phase {
        case .connecting:
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(streams[index].fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { return fail(index, "connect errno \(error)") }
            let request = plan.requests[index]
            let written = request.withUnsafeBytes { write(streams[index].fd, $0.baseAddress!, request.count) }
            guard written == request.count else { return fail(index, "request write errno \(errno)") }
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.u64 = UInt64(index)
            epoll_ctl(epollFD, EPOLL_CTL_MOD, streams[index].fd, &event)
            streams[index].phase = .awaitingHead
        case .awaitingHead, .streaming:
            readOnce(index)
        case .waiting, .ended:
            break
        }
    }

    /// The stream failed before it was accepted: counted as a failed connect.
    func fail(_ index: Int, _ reason: String) {
        counters.failures[reason, default: 0] += 1
        failed.add(1, ordering: .relaxed)
        inFlight -= 1
        end(index)
    }

    /// Closes the stream's socket and settles it.
    func end(_ index: Int) {
        if streams[index].fd >= 0 { close(streams[index].fd) }
        streams[index].fd = -1
        streams[index].phase = .ended
        settle(index)
    }

    func settle(_ index: Int) {
        guard !streams[index].settled else { return }
        streams[index].settled = true
        settled.add(1, ordering: .relaxed)
    }
}
