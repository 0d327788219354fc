#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A closed-loop HTTP load on one thread: `concurrency` keep-alive connections, each sending
/// its next request as soon as the previous response is complete, until `count` requests
/// have finished (succeeded, failed or timed out).
///
/// Why one thread and `poll` rather than AsyncHTTPClient or NIO: on a 2-core machine the load
/// tool competes with the gateway and Redis for CPU, and a full HTTP client stack cost the
/// former bench a large share of it. Here a request costs one `send`, a response one or two
/// `recv`s and a scan of its head; the tool's own CPU is reported so a run where the tool was
/// the bottleneck is recognisable.
struct PollClosedLoop: Sendable {
    let target: HTTPSocketTarget
    let concurrency: Int
    let count: Int
    /// A request that takes longer fails, and its connection is replaced.
    let timeout: Duration
    /// The status a successful request gets; any other counts as a failure.
    let expectedStatus: Int
    /// The bytes of request `index`, sent on connection `connection` (0..<concurrency).
    let request: @Sendable (_ connection: Int, _ index: Int) -> [UInt8]

    /// Runs the load to the end. Blocking: call it off the Swift concurrency pool.
    func run() -> ClosedLoop.Result {
        let connections = (0..<concurrency).map { _ in KeepAliveConnection(target: target) }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { scratch.deallocate() }
        var latencies: [Double] = []
        latencies.reserveCapacity(count)
        var result = ClosedLoop.Result()
        var issued = 0
        var finished = 0

        func failure(_ reason: String) {
            result.failures += 1
            result.failureReasons[reason, default: 0] += 1
            finished += 1
        }
        func handle(_ event: KeepAliveConnection.Event, on slot: Int) {
            switch event {
            case .pending:
                return
            case .response(let status, let latency):
                if status == expectedStatus {
                    latencies.append(latency.milliseconds)
                    finished += 1
                } else {
                    failure("HTTP \(status)")
                }
            case .broken(let reason):
                failure(reason)
            }
            issueNext(on: slot)
        }
        // Gives the connection its next request; a connection that cannot even be opened
        // fails that request and tries the next, so a dead server ends the run quickly.
        func issueNext(on slot: Int) {
            while issued < count {
                let index = issued
                issued += 1
                do {
                    let event = try connections[slot].send(request(slot, index))
                    if case .broken = event { handle(event, on: slot) }
                    return
                } catch {
                    failure("\(error)")
                }
            }
        }

        let start = ContinuousClock.now
        for slot in 0..<concurrency { issueNext(on: slot) }
        var fds = [pollfd](repeating: pollfd(fd: -1, events: 0, revents: 0), count: concurrency)
        while finished < count {
            for slot in 0..<concurrency {
                let connection = connections[slot]
                // Idle connections (no work left) are left out: poll ignores negative fds.
                fds[slot].fd = connection.inFlight ? connection.fd : -1
                fds[slot].events = Int16(connection.wantsWrite ? POLLOUT : POLLIN)
                fds[slot].revents = 0
            }
            // A bounded wait, so timeouts are noticed even when nothing at all answers.
            let ready = poll(&fds, nfds_t(concurrency), 100)
            if ready < 0 {
                if errno == EINTR { continue }
                let reason = "poll: \(String(cString: strerror(errno)))"
                while finished < count { failure(reason) }
                break
            }
            if ready > 0 {
                for slot in 0..<concurrency where fds[slot].revents != 0 {
                    let connection = connections[slot]
                    let event = connection.wantsWrite ? connection.flush() : connection.readAvailable(into: scratch)
                    handle(event, on: slot)
                }
            }
            let now = ContinuousClock.now
            for slot in 0..<concurrency {
                if let sentAt = connections[slot].sentAt, now - sentAt > timeout {
                    connections[slot].drop()
                    failure("timeout after \(timeout)")
                    issueNext(on: slot)
                }
            }
        }
        result.elapsed = ContinuousClock.now - start
        result.stats.add(contentsOf: latencies)
        for connection in connections { connection.drop() }
        return result
    }
}
