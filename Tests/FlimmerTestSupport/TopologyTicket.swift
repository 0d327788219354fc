import NIOConcurrencyHelpers

/// The right to run a topology of several Redis processes, a ``SentinelGroup`` or a
/// ``ClusterGroup``: one at a time in a test process, across suites and kinds. Each is six or
/// more processes that call a node down after 1 s (Sentinels) or 2 s (cluster nodes) without an
/// answer; two or three Sentinel groups at once on a loaded 2-core machine made the Sentinels
/// see their own nodes as down (and gateways miss their start-up deadlines), and a cluster is
/// as sensitive. A group holds its ticket for its lifetime; the next waiting group gets it when
/// the ticket goes away, also when the group's initializer failed half-way.
final class TopologyTicket: Sendable {
    private struct Queue {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private static let queue = NIOLockedValueBox(Queue())

    private init() {}

    /// Waits until no other topology runs.
    static func take() async -> TopologyTicket {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let free = queue.withLockedValue { queue -> Bool in
                if !queue.busy {
                    queue.busy = true
                    return true
                }
                queue.waiters.append(continuation)
                return false
            }
            if free { continuation.resume() }
        }
        return TopologyTicket()
    }

    deinit {
        let next = Self.queue.withLockedValue { queue -> CheckedContinuation<Void, Never>? in
            guard !queue.waiters.isEmpty else {
                queue.busy = false
                return nil
            }
            return queue.waiters.removeFirst()
        }
        next?.resume()
    }
}
