import NIOConcurrencyHelpers

/// Holds a client's consumer while a fault pauses it, and adds up how long it was held.
final class PauseGate: Sendable {
    private struct State {
        var closed = false
        var waiter: CheckedContinuation<Void, Never>?
        var heldSeconds = 0.0
    }

    private let state = NIOLockedValueBox(State())

    /// Seconds the consumer spent held so far.
    var heldSeconds: Double { state.withLockedValue { $0.heldSeconds } }

    func close() {
        state.withLockedValue { $0.closed = true }
    }

    func open() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            state.closed = false
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Returns at once while open; otherwise when opened (or the task is cancelled). One consumer at a time.
    func pass() async {
        guard state.withLockedValue({ $0.closed }) else { return }
        let start = ContinuousClock.now
        await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let held = state.withLockedValue { state -> Bool in
                    guard state.closed, !Task.isCancelled else { return false }
                    state.waiter = waiter
                    return true
                }
                if !held { waiter.resume() }
            }
        } onCancel: {
            open()
        }
        let held = ChaosLog.seconds(ContinuousClock.now - start)
        state.withLockedValue { $0.heldSeconds += held }
    }
}
