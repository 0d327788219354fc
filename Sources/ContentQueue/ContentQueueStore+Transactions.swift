import FlimmerFormats
import RedisClient

extension ContentQueueStore {
    /// One optimistic upload: WATCH, read, then MULTI ... PUBLISH ... EXEC in one round trip.
    ///
    /// The types of every key the transaction writes are checked while they are WATCHed,
    /// so EXEC cannot meet a WRONGTYPE half-way and leave a partial write behind.
    static func uploadAttempt(
        _ connection: some RedisPipeline,
        family: FamilyID,
        child: UserID,
        draft: ContentDraft,
        now: UTCTime,
        guarantees: Guarantees
    ) async throws -> Attempt<MutationResult> {
        let keys = ContentKeys(family: family)
        let id = ContentID.random()
        let itemKey = keys.item(id)
        let childKey = keys.child(child)
        return try await attempt(
            connection,
            keys: keys,
            watch: [keys.version, keys.epoch, keys.queue, itemKey, childKey],
            reads: [
                RedisCommand("GET", keys.version), RedisCommand("GET", keys.epoch), RedisCommand("TYPE", keys.queue),
                RedisCommand("EXISTS", itemKey), RedisCommand("TYPE", childKey),
            ],
            guarantees: guarantees
        ) { reads, generation in
            let version = try parseVersion(reads[0], key: keys.version)
            try expectType(reads[2], ["list", "none"], key: keys.queue)
            try expectType(reads[4], ["list", "none"], key: childKey)
            // 128 random bits make a collision unthinkable, but a retry with a new id costs nothing.
            if reads[3].int != 0 { return .again }
            let (epoch, epochIsNew) = reads[1].string.map { ($0, false) } ?? (Epoch.random(), true)
            let item = ContentItem(
                id: id.rawValue,
                family: family.rawValue,
                childId: child.rawValue,
                title: draft.title,
                description: draft.description,
                durationSeconds: draft.durationSeconds,
                videoUrl: draft.videoUrl,
                status: .pending,
                createdAt: now.iso8601
            )
            let payload = InvalidationPayload(
                key: invalidationKey,
                family: family.rawValue,
                version: version + 1,
                reason: InvalidationReason.uploaded.rawValue,
                contentId: id.rawValue,
                epoch: epoch,
                ts: now.millisecondsSince1970
            )
            return .write(
                writes: [
                    RedisCommand("HSET", [itemKey] + item.hashFields), RedisCommand("RPUSH", keys.queue, id.rawValue),
                    RedisCommand("RPUSH", childKey, id.rawValue),
                ],
                versionKey: keys.version,
                epochKey: epochIsNew ? keys.epoch : nil,
                payload: payload,
                value: MutationResult(item: item, version: version + 1, epoch: epoch, generation: generation)
            )
        }
    }

    /// One optimistic decision: the item's status is read under WATCH, so a concurrent
    /// decision that commits first makes this EXEC abort, and the retry then sees `not_pending`.
    static func decideAttempt(
        _ connection: some RedisPipeline,
        family: FamilyID,
        id: ContentID,
        parent: UserID,
        decision: Decision,
        now: UTCTime,
        guarantees: Guarantees
    ) async throws -> Attempt<MutationResult> {
        let keys = ContentKeys(family: family)
        let itemKey = keys.item(id)
        let target = keys.list(for: decision.status)
        return try await attempt(
            connection,
            keys: keys,
            watch: [itemKey, keys.version, keys.epoch, keys.queue, target],
            reads: [
                RedisCommand("HGETALL", itemKey), RedisCommand("GET", keys.version), RedisCommand("GET", keys.epoch),
                RedisCommand("TYPE", keys.queue), RedisCommand("TYPE", target),
            ],
            guarantees: guarantees
        ) { reads, generation in
            guard let fields = reads[0].fieldDictionary else {
                throw ContentQueueError(.corruptState, "\(itemKey) is not a hash")
            }
            guard !fields.isEmpty else {
                throw ContentQueueError(.notFound, "no content \(id) in this family")
            }
            guard var item = ContentItem(hash: fields), item.family == family.rawValue else {
                throw ContentQueueError(.corruptState, "\(itemKey) is missing required fields")
            }
            guard item.status == .pending else {
                throw ContentQueueError(.notPending, "content \(id) was already \(item.status.rawValue)")
            }
            let version = try parseVersion(reads[1], key: keys.version)
            try expectType(reads[3], ["list", "none"], key: keys.queue)
            try expectType(reads[4], ["list", "none"], key: target)
            let (epoch, epochIsNew) = reads[2].string.map { ($0, false) } ?? (Epoch.random(), true)
            item.status = decision.status
            item.decidedAt = now.iso8601
            item.decidedBy = parent.rawValue
            var update = [itemKey, "status", item.status.rawValue, "decidedAt", now.iso8601, "decidedBy", parent.rawValue]
            if case .reject(let reason?) = decision {
                item.rejectReason = reason
                update += ["rejectReason", reason]
            }
            let payload = InvalidationPayload(
                key: invalidationKey,
                family: family.rawValue,
                version: version + 1,
                reason: decision.invalidationReason.rawValue,
                contentId: id.rawValue,
                epoch: epoch,
                ts: now.millisecondsSince1970
            )
            return .write(
                writes: [
                    RedisCommand("HSET", update), RedisCommand("LREM", keys.queue, 0, id.rawValue),
                    RedisCommand("RPUSH", target, id.rawValue),
                ],
                versionKey: keys.version,
                epochKey: epochIsNew ? keys.epoch : nil,
                payload: payload,
                value: MutationResult(item: item, version: version + 1, epoch: epoch, generation: generation)
            )
        }
    }

    static func parseVersion(_ reply: RedisValue, key: String) throws -> Int {
        switch reply {
        case .null:
            return 0
        case .bulkString:
            guard let value = reply.int, value >= 0 else {
                throw ContentQueueError(.corruptState, "\(key) does not hold a version number")
            }
            return value
        case .error(let message) where message.hasPrefix("WRONGTYPE"):
            throw ContentQueueError(.corruptState, "\(key) does not hold a version number")
        default:
            try reply.throwingServerError()
            throw RedisError(.unexpectedReply, "GET \(key) answered \(reply)")
        }
    }

    static func expectType(_ reply: RedisValue, _ allowed: Set<String>, key: String) throws {
        guard let type = reply.string, allowed.contains(type) else {
            throw ContentQueueError(.corruptState, "\(key) has type \(reply.string ?? "?")")
        }
    }
}
