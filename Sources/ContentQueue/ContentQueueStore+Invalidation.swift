import FlimmerFormats
import RedisClient

extension ContentQueueStore {
    /// Advances `key`'s version for `family` and publishes `invalidate:<key>` in one MULTI/EXEC,
    /// for backend services whose data lives elsewhere: every open stream of the family then
    /// refetches that key. Returns the new version.
    ///
    /// The content queue's own keys are refused (``QueryKey/isReserved``): its versions belong
    /// to its mutations, and the other names of its layout could overwrite its lists.
    public func invalidate(
        family: FamilyID,
        key: QueryKey,
        reason: String?,
        idempotency: IdempotentRequest? = nil
    ) async throws -> Mutated<Int> {
        guard !key.isReserved else {
            throw ContentQueueError(.reservedKey, "\(key) is a name of the content queue's own key layout")
        }
        return try await mutate(family: family, idempotency) { connection, guarantees in
            try await Self.invalidateAttempt(connection, family: family, key: key, reason: reason, now: .now(), guarantees: guarantees)
        }
    }

    static func invalidateAttempt(
        _ connection: some RedisPipeline,
        family: FamilyID,
        key: QueryKey,
        reason: String?,
        now: UTCTime,
        guarantees: Guarantees
    ) async throws -> Attempt<Int> {
        let versionKey = key.versionKey(family: family)
        return try await attempt(
            connection,
            keys: ContentKeys(family: family),
            watch: [versionKey],
            reads: [RedisCommand("GET", versionKey)],
            guarantees: guarantees
        ) { reads, _ in
            let version = try parseVersion(reads[0], key: versionKey)
            let payload = InvalidationPayload(
                key: key.rawValue,
                family: family.rawValue,
                version: version + 1,
                reason: reason,
                ts: now.millisecondsSince1970
            )
            return .write(writes: [], versionKey: versionKey, epochKey: nil, payload: payload, value: version + 1)
        }
    }
}
