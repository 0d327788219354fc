import RedisClient

/// What one mutation attempt decides once it has read what it WATCHes: fail, try again, or
/// write.
enum MutationPlan<Value: Codable & Sendable> {
    /// A domain error; nothing is written.
    case fail(ContentQueueError)
    /// Try again from the start (a fresh content id collided, say); nothing is written.
    case again
    /// MULTI, `writes`, the version and epoch the payload names, the idempotency record, the
    /// PUBLISH of `payload`, EXEC: one transaction. `value` is what the caller gets.
    case write(writes: [RedisCommand], versionKey: String, epochKey: String?, payload: InvalidationPayload, value: Value)
}
