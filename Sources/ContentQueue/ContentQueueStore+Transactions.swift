import FlimmerFormats
import RedisClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ContentQueueStore {
    /// One optimistic upload: WATCH, read, then MULTI ... PUBLISH ... EXEC in one round trip.
    ///
    /// The types of every key the transaction writes are checked while they are WATCHed,
    /// so EXEC cannot meet a WRONGTYPE half-way and leave a partial write behind.
    static func uploadAttempt(
        _ connection: RedisConnection,
        family: FamilyID,
        child: UserID,
        draft: ContentDraft,
        now: UTCTime
    ) throws -> Attempt<MutationResult> {
        let keys = ContentKeys(family: family)
        let id = ContentID.random()
        let itemKey = keys.item(id)
        let childKey = keys.child(child)
        let reads = try connection.pipeline([
            RedisCommand("WATCH", keys.version, keys.epoch, keys.queue, itemKey, childKey),
            RedisCommand("GET", keys.version),
            RedisCommand("GET", keys.epoch),
            RedisCommand("TYPE", keys.queue),
            RedisCommand("EXISTS", itemKey),
            RedisCommand("TYPE", childKey),
        ])
        try reads[0].throwingServerError()
        let version: Int
        do {
            version = try parseVersion(reads[1], key: keys.version)
            try expectType(reads[3], ["list", "none"], key: keys.queue)
            try expectType(reads[5], ["list", "none"], key: childKey)
        } catch let error as ContentQueueError {
            try connection.send(RedisCommand("UNWATCH"))
            return .failed(error)
        }
        // 128 random bits make a collision unthinkable, but a retry with a new id costs nothing.
        if reads[4].int != 0 {
            try connection.send(RedisCommand("UNWATCH"))
            return .conflict
        }
        let (epoch, epochIsNew) = reads[2].string.map { ($0, false) } ?? (Epoch.random(), true)
        let newVersion = version + 1
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
            version: newVersion,
            reason: InvalidationReason.uploaded.rawValue,
            contentId: id.rawValue,
            epoch: epoch,
            ts: now.millisecondsSince1970
        )
        let writes = [
            RedisCommand("HSET", [itemKey] + item.hashFields),
            RedisCommand("RPUSH", keys.queue, id.rawValue),
            RedisCommand("RPUSH", childKey, id.rawValue),
        ]
        guard try commit(connection, keys: keys, writes: writes, payload: payload, epochIsNew: epochIsNew) else { return .conflict }
        return .committed(MutationResult(item: item, version: newVersion, epoch: epoch))
    }

    /// One optimistic decision: the item's status is read under WATCH, so a concurrent
    /// decision that commits first makes this EXEC abort, and the retry then sees `not_pending`.
    static func decideAttempt(
        _ connection: RedisConnection,
        family: FamilyID,
        id: ContentID,
        parent: UserID,
        decision: Decision,
        now: UTCTime
    ) throws -> Attempt<MutationResult> {
        let keys = ContentKeys(family: family)
        let itemKey = keys.item(id)
        let target = keys.list(for: decision.status)
        let reads = try connection.pipeline([
            RedisCommand("WATCH", itemKey, keys.version, keys.epoch, keys.queue, target),
            RedisCommand("HGETALL", itemKey),
            RedisCommand("GET", keys.version),
            RedisCommand("GET", keys.epoch),
            RedisCommand("TYPE", keys.queue),
            RedisCommand("TYPE", target),
        ])
        try reads[0].throwingServerError()
        let version: Int
        var item: ContentItem
        do {
            guard let fields = reads[1].fieldDictionary else {
                throw ContentQueueError(.corruptState, "\(itemKey) is not a hash")
            }
            guard !fields.isEmpty else {
                throw ContentQueueError(.notFound, "no content \(id) in this family")
            }
            guard let stored = ContentItem(hash: fields), stored.family == family.rawValue else {
                throw ContentQueueError(.corruptState, "\(itemKey) is missing required fields")
            }
            guard stored.status == .pending else {
                throw ContentQueueError(.notPending, "content \(id) was already \(stored.status.rawValue)")
            }
            version = try parseVersion(reads[2], key: keys.version)
            try expectType(reads[4], ["list", "none"], key: keys.queue)
            try expectType(reads[5], ["list", "none"], key: target)
            item = stored
        } catch let error as ContentQueueError {
            try connection.send(RedisCommand("UNWATCH"))
            return .failed(error)
        }
        let (epoch, epochIsNew) = reads[3].string.map { ($0, false) } ?? (Epoch.random(), true)
        let newVersion = version + 1
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
            version: newVersion,
            reason: decision.invalidationReason.rawValue,
            contentId: id.rawValue,
            epoch: epoch,
            ts: now.millisecondsSince1970
        )
        let writes = [
            RedisCommand("HSET", update),
            RedisCommand("LREM", keys.queue, 0, id.rawValue),
            RedisCommand("RPUSH", target, id.rawValue),
        ]
        guard try commit(connection, keys: keys, writes: writes, payload: payload, epochIsNew: epochIsNew) else { return .conflict }
        return .committed(MutationResult(item: item, version: newVersion, epoch: epoch))
    }

    /// The one place a mutation is made, so that no write can go without its event:
    /// MULTI, the caller's writes, the new version, the epoch (a family's first write only),
    /// the PUBLISH of `payload`, EXEC, sent as one pipeline while the caller's WATCH holds.
    /// Returns `false` when a WATCHed key changed (EXEC answered null: nothing was written,
    /// nothing published).
    static func commit(
        _ connection: RedisConnection,
        keys: ContentKeys,
        writes: [RedisCommand],
        payload: InvalidationPayload,
        epochIsNew: Bool
    ) throws -> Bool {
        var writes = writes
        if epochIsNew, let epoch = payload.epoch { writes.append(RedisCommand("SET", keys.epoch, epoch)) }
        return try commit(connection, versionKey: keys.version, writes: writes, payload: payload)
    }

    /// MULTI, `writes`, SET `versionKey` to the payload's version, PUBLISH the payload, EXEC, in
    /// one round trip: the write and its event commit together or not at all. Returns false
    /// when a WATCHed key changed (nothing was written).
    static func commit(
        _ connection: RedisConnection,
        versionKey: String,
        writes: [RedisCommand],
        payload: InvalidationPayload
    ) throws -> Bool {
        var commands = [RedisCommand("MULTI")] + writes
        commands.append(RedisCommand("SET", versionKey, payload.version))
        commands.append(RedisCommand("PUBLISH", InvalidationPayload.channel(for: payload.key), payload.json))
        commands.append(RedisCommand("EXEC"))
        let replies = try connection.pipeline(commands)
        switch replies.last {
        case .null?:
            return false
        case .array(let results)?:
            if let failure = results.first(where: { $0.errorMessage != nil }) {
                // Unreachable while the WATCHed type checks hold; reported, never hidden.
                throw RedisError(.server, "a command inside EXEC failed: \(failure.errorMessage ?? "")")
            }
            return true
        case .error(let message)?:
            // EXECABORT: a queued command was refused (out of memory, ACL, LOADING); nothing ran.
            let cause = replies.dropLast().compactMap(\.errorMessage).first ?? message
            throw RedisError.serverReply(cause)
        default:
            throw RedisError(.unexpectedReply, "EXEC answered \(String(describing: replies.last))")
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

    static func pause(microseconds: UInt32) {
        usleep(microseconds)
    }
}
