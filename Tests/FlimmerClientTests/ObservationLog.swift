import FlimmerClient
import FlimmerTestSupport
import NIOConcurrencyHelpers

/// Collects what an `EventStream` hands its observer, for a test to read with a deadline.
final class ObservationLog: Sendable {
    private let entries = NIOLockedValueBox<[EventStreamObservation]>([])

    /// The closure for `EventStreamConfiguration.observer`.
    var observer: @Sendable (EventStreamObservation) -> Void {
        { [entries] observation in entries.withLockedValue { $0.append(observation) } }
    }

    var all: [EventStreamObservation] { entries.withLockedValue { $0 } }

    /// Waits until some observation satisfies `predicate`; returns its index.
    @discardableResult
    func waitFor(_ what: String, timeout: Duration = .seconds(10), _ predicate: (EventStreamObservation) -> Bool) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let index = all.firstIndex(where: predicate) { return index }
            if ContinuousClock.now >= deadline { throw TestFailure("timed out waiting for \(what); observed \(all)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
