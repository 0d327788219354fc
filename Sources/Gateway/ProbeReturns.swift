import NIOConcurrencyHelpers

/// Where the subscriber's probes come back: one outstanding probe at a time, signalled from the
/// subscription's event loop to the task that sent it.
final class ProbeReturns: Sendable {
    private struct State {
        var token: String?
        var arrived = false
        /// The wait ended (timed out or cancelled), maybe before the waiter was even registered.
        var gaveUp = false
        var waiter: CheckedContinuation<Bool, Never>?
    }

    private let state = NIOLockedValueBox(State())

    /// Registers the probe about to be published; earlier ones no longer count.
    func expect(_ token: String) -> ProbeReturns {
        state.withLockedValue { state in
            state.waiter?.resume(returning: false)
            state = State(token: token)
        }
        return self
    }

    /// A message on the probe channel: the outstanding probe, or a late one to ignore.
    func returned(_ token: String) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            guard token == state.token else { return nil }
            state.arrived = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: true)
    }

    /// Whether the outstanding probe came back within `timeout`.
    func wait(timeout: Duration) async throws -> Bool {
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.giveUp()
        }
        defer { timer.cancel() }
        let arrived = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let already = state.withLockedValue { state -> Bool? in
                    if state.arrived || state.gaveUp || state.token == nil { return state.arrived }
                    state.waiter = continuation
                    return nil
                }
                if let already { continuation.resume(returning: already) }
            }
        } onCancel: {
            self.giveUp()
        }
        try Task.checkCancellation()
        return arrived
    }

    private func giveUp() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            state.gaveUp = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: false)
    }
}
