import NIOConcurrencyHelpers

/// Failed requests by cause (an HTTP status, `conn` when no answer came), for the report:
/// `503 x61, conn x19`, most frequent first.
final class ErrorTally: Sendable {
    private let counts = NIOLockedValueBox<[String: Int]>([:])

    func add(_ cause: String) {
        counts.withLockedValue { $0[cause, default: 0] += 1 }
    }

    var summary: String {
        let sorted = counts.withLockedValue { $0 }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        return sorted.isEmpty ? "none" : sorted.map { "\($0.key) x\($0.value)" }.joined(separator: ", ")
    }
}
