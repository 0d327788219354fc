/// The outcome of one optimistic transaction attempt.
enum Attempt<Value> {
    /// EXEC ran and every queued command succeeded.
    case committed(Value)
    /// A WATCHed key changed: nothing was written; try again.
    case conflict
    /// A domain error (not found, not pending); the connection was left clean with UNWATCH.
    case failed(ContentQueueError)
}

extension ContentQueueStore {
    /// Runs `attempt` until it commits, fails, or `maxAttempts` conflicts have happened.
    static func retrying<Value>(
        maxAttempts: Int,
        _ attempt: () async throws -> Attempt<Value>
    ) async throws -> Result<Value, ContentQueueError> {
        for round in 0..<max(1, maxAttempts) {
            switch try await attempt() {
            case .committed(let value):
                return .success(value)
            case .failed(let error):
                return .failure(error)
            case .conflict:
                // A short random pause keeps writers of one family from retrying in lockstep.
                if round > 2 { try await Task.sleep(for: .microseconds(Int.random(in: 50...min(round, 20) * 100))) }
            }
        }
        return .failure(ContentQueueError(.contention, "too many concurrent writers; gave up after \(maxAttempts) attempts"))
    }
}
