import FlimmerFormats
import RedisClient

extension ContentQueueStore {
    /// Advances `key`'s version for `family` and publishes `invalidate:<key>` in one MULTI/EXEC,
    /// for backend services whose data lives elsewhere: every open stream of the family then
    /// refetches that key. Returns the new version.
    ///
    /// The content queue's own keys are refused (``QueryKey/isReserved``): its versions belong
    /// to its mutations, and the other names of its layout could overwrite its lists.
    public func invalidate(family: FamilyID, key: QueryKey, reason: String?) async throws -> Int {
        guard !key.isReserved else {
            throw ContentQueueError(.reservedKey, "\(key) is a name of the content queue's own key layout")
        }
        let maxAttempts = configuration.maxAttempts
        let result = try await redis.withConnection { connection in
            try Self.retrying(maxAttempts: maxAttempts) {
                try Self.invalidateAttempt(connection, family: family, key: key, reason: reason, now: .now())
            }
        }
        return try result.get()
    }

    static func invalidateAttempt(
        _ connection: RedisConnection,
        family: FamilyID,
        key: QueryKey,
        reason: String?,
        now: UTCTime
    ) throws -> Attempt<Int> {
        let versionKey = key.versionKey(family: family)
        let reads = try connection.pipeline([RedisCommand("WATCH", versionKey), RedisCommand("GET", versionKey)])
        try reads[0].throwingServerError()
        let version: Int
        do {
            version = try parseVersion(reads[1], key: versionKey)
        } catch let error as ContentQueueError {
            try connection.send(RedisCommand("UNWATCH"))
            return .failed(error)
        }
        let payload = InvalidationPayload(
            key: key.rawValue,
            family: family.rawValue,
            version: version + 1,
            reason: reason,
            ts: now.millisecondsSince1970
        )
        guard try commit(connection, versionKey: versionKey, writes: [], payload: payload) else { return .conflict }
        return .committed(version + 1)
    }
}
