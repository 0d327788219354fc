/// The outcome of one optimistic transaction attempt.
enum Attempt<Value> {
    /// EXEC ran and every queued command succeeded.
    case committed(Value)
    /// An earlier request with the same idempotency key committed this; nothing was written now.
    case replayed(Value)
    /// A WATCHed key changed: nothing was written; try again.
    case conflict
    /// A domain error (not found, not pending); the connection was left clean with UNWATCH.
    case failed(ContentQueueError)
}

/// What a mutation returned: its value, and whether it is the stored answer of an earlier
/// request with the same idempotency key (nothing was written this time). The value's members
/// read through (`mutated.item`).
@dynamicMemberLookup
public struct Mutated<Value: Sendable>: Sendable {
    public let value: Value
    public let replayed: Bool

    public subscript<Member>(dynamicMember member: KeyPath<Value, Member>) -> Member {
        value[keyPath: member]
    }
}

extension ContentQueueStore {
    /// Runs `attempt` until it commits, fails, or `maxAttempts` conflicts have happened.
    static func retrying<Value>(
        maxAttempts: Int,
        _ attempt: () async throws -> Attempt<Value>
    ) async throws -> Result<Mutated<Value>, ContentQueueError> {
        for round in 0..<max(1, maxAttempts) {
            switch try await attempt() {
            case .committed(let value):
                return .success(Mutated(value: value, replayed: false))
            case .replayed(let value):
                return .success(Mutated(value: value, replayed: true))
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
