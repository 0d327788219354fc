/// Polls `condition` until it holds, failing with a message that names `what` once `timeout`
/// has passed: the one poll loop of the tests, so none of them sleeps a fixed time and hopes.
///
/// `what` is evaluated only on failure, so it can describe the state at that moment.
/// Runs `condition` on the caller's isolation, so an actor may poll its own state.
public func eventually(
    _ what: @autoclosure () -> String,
    timeout: Duration = .seconds(5),
    poll interval: Duration = .milliseconds(10),
    isolation: isolated (any Actor)? = #isolation,
    _ condition: () async throws -> Bool
) async throws {
    _ = try await eventuallyValue(what(), timeout: timeout, poll: interval) { try await condition() ? () : nil }
}

/// Polls `attempt` until it returns a value and returns that value, failing like ``eventually(_:timeout:poll:isolation:_:)``.
public func eventuallyValue<Value>(
    _ what: @autoclosure () -> String,
    timeout: Duration = .seconds(5),
    poll interval: Duration = .milliseconds(10),
    isolation: isolated (any Actor)? = #isolation,
    _ attempt: () async throws -> Value?
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await attempt() { return value }
        if ContinuousClock.now >= deadline { throw TestFailure("timed out after \(timeout) waiting for \(what())") }
        try await Task.sleep(for: interval)
    }
}
