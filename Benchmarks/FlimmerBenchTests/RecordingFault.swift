import NIOConcurrencyHelpers
import Testing

@testable import flimmer_bench

/// A fault for the runner's tests: breaks nothing, records when it was injected and undone,
/// and can fail or hang in `inject`.
struct RecordingFault: Fault {
    enum Behaviour: Sendable {
        case succeed
        case failInject(String)
        case hangInject
        case slowInject(Duration)
        /// Stays in `inject` until `other` has been injected (at most 10 s).
        case injectUntilInjected(Record)
    }

    final class Record: Sendable {
        let injected = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
        let injectDone = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
        let undone = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    }

    var schedule: FaultSchedule
    var behaviour: Behaviour = .succeed
    var tally: String? = "recordings"
    let record = Record()

    func inject(_ context: FaultContext) async throws -> Int {
        record.injected.withLockedValue { $0 = .now }
        switch behaviour {
        case .succeed: break
        case .failInject(let text): throw ChaosProblem(text)
        case .hangInject: try await Task.sleep(for: .seconds(30))
        case .slowInject(let duration): try await Task.sleep(for: duration)
        case .injectUntilInjected(let other):
            let deadline = ContinuousClock.now + .seconds(10)
            while other.injected.withLockedValue({ $0 }) == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        record.injectDone.withLockedValue { $0 = .now }
        return 42
    }

    func undo(_ damage: Int, _ context: FaultContext) async throws {
        #expect(damage == 42, "undo gets what inject returned")
        record.undone.withLockedValue { $0 = .now }
    }
}
