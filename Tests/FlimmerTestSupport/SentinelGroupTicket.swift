import NIOConcurrencyHelpers

/// The right to run a ``SentinelGroup``: one group at a time in a test process, across suites.
/// Each group is six processes whose Sentinels call a node down after 1 s without an answer;
/// two or three groups at once on a loaded 2-core machine made the Sentinels see their own
/// nodes as down (and gateways miss their start-up deadlines). A group holds its ticket for
/// its lifetime; the next waiting group gets it when the ticket goes away, also when the
/// group's initializer failed half-way.
final class SentinelGroupTicket: Sendable {
    private struct Queue {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private static let queue = NIOLockedValueBox(Queue())

    private init() {}

    /// Waits until no other group runs.
    static func take() async -> SentinelGroupTicket {
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
        return SentinelGroupTicket()
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
