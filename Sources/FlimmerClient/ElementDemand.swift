import NIOConcurrencyHelpers

/// The hand-over of an `EventStream`'s elements to its consumer, with the count of those taken,
/// so that the reader waits for the consumer instead of reading ahead of it.
///
/// Why: an `AsyncThrowingStream` buffers without bound. A consumer that stops taking elements
/// would leave the connection read at full speed into memory, and the server would never learn
/// that its client fell behind. Waiting here keeps the socket unread instead: the kernel's
/// buffers fill, and the gateway treats the client as the slow reader it is.
final class ElementDemand: Sendable {
    private struct State {
        var yielded = 0
        var taken = 0
        var waiter: CheckedContinuation<Void, Never>?
        var cancelled = false
    }

    private let continuation: AsyncThrowingStream<EventStreamElement, any Error>.Continuation
    private let state = NIOLockedValueBox(State())

    init(_ continuation: AsyncThrowingStream<EventStreamElement, any Error>.Continuation) {
        self.continuation = continuation
    }

    /// Hands `element` to the consumer (it waits in the stream's buffer until taken).
    func yield(_ element: EventStreamElement) {
        state.withLockedValue { $0.yielded += 1 }
        continuation.yield(element)
    }

    /// Ends the sequence, with `error` if given.
    func finish(throwing error: (any Error)? = nil) {
        continuation.finish(throwing: error)
    }

    /// The consumer took one element.
    func took() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            state.taken += 1
            guard state.taken >= state.yielded else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Returns once the consumer has taken every element yielded so far, or the task is cancelled.
    func waitUntilTaken() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let ready = state.withLockedValue { state -> Bool in
                    if state.taken >= state.yielded || state.cancelled { return true }
                    state.waiter = waiter
                    return false
                }
                if ready { waiter.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                state.cancelled = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
