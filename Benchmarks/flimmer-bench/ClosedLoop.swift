import NIOConcurrencyHelpers

/// A closed-loop load: `concurrency` workers take the next of `count` indices until none are
/// left, timing each operation. An operation returns whether it succeeded.
enum ClosedLoop {
    struct Result {
        /// Latencies of the operations that succeeded, in milliseconds.
        var stats = Stats()
        var failures = 0
        /// Why requests failed, with how often (filled by `PollClosedLoop`; the Redis floor
        /// throws on its first failure instead).
        var failureReasons: [String: Int] = [:]
        var elapsed: Duration = .zero

        var throughput: Double { Double(stats.count) / (elapsed.milliseconds / 1000) }
    }

    static func run(
        concurrency: Int,
        count: Int,
        _ operation: @escaping @Sendable (Int) async throws -> Bool
    ) async throws -> Result {
        let next = NIOLockedValueBox(0)
        let start = ContinuousClock.now
        let perWorker = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    var failures = 0
                    while true {
                        let index = next.withLockedValue { value -> Int in
                            defer { value += 1 }
                            return value
                        }
                        guard index < count else { break }
                        let sent = ContinuousClock.now
                        if try await operation(index) {
                            latencies.append((ContinuousClock.now - sent).milliseconds)
                        } else {
                            failures += 1
                        }
                    }
                    return (latencies, failures)
                }
            }
            return try await group.reduce(into: [([Double], Int)]()) { $0.append($1) }
        }
        var result = Result(elapsed: ContinuousClock.now - start)
        for (latencies, failures) in perWorker {
            result.stats.add(contentsOf: latencies)
            result.failures += failures
        }
        return result
    }
}
