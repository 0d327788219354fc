import NIOConcurrencyHelpers

/// What the faults did that the report and the checks need: the tallies, when Redis was last
/// killed (lost writes are judged against it), and the problems that fail the run.
final class FaultLedger: Sendable {
    private struct State {
        var tallies: [String: Int] = [:]
        var redisKilledAt: Double?
        var problems: [String] = []
    }

    private let state = NIOLockedValueBox(State())

    func count(_ tally: String) {
        state.withLockedValue { $0.tallies[tally, default: 0] += 1 }
    }

    func tally(_ name: String) -> Int {
        state.withLockedValue { $0.tallies[name] ?? 0 }
    }

    /// Seconds since the start of the run's last `kill -9` of redis-server.
    var redisKilledAt: Double? {
        get { state.withLockedValue { $0.redisKilledAt } }
        set { state.withLockedValue { $0.redisKilledAt = newValue } }
    }

    func problem(_ text: String) {
        state.withLockedValue { $0.problems.append(text) }
    }

    var problems: [String] { state.withLockedValue { $0.problems } }
}
