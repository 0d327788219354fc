import RedisClient

extension ContentQueueStore {
    /// Reads the queue optimistically: version and ids, then the items and the version again.
    /// If the version moved in between, the read is repeated, so the items match the version.
    static func readQueue(_ connection: some RedisPipeline, family: FamilyID) async throws -> Result<QueueSnapshot, ContentQueueError> {
        let keys = ContentKeys(family: family)
        return try await readItems(connection, keys: keys, list: keys.queue, range: (0, -1)).map(\.snapshot)
    }

    /// Reads the newest `limit` items of `child`, newest first, with the list's full length,
    /// consistently with the version reported, like ``readQueue(_:family:)``.
    static func readChildItems(
        _ connection: some RedisPipeline,
        family: FamilyID,
        child: UserID,
        limit: Int
    ) async throws -> Result<ChildItems, ContentQueueError> {
        let keys = ContentKeys(family: family)
        return try await readItems(connection, keys: keys, list: keys.child(child), range: (-limit, -1)).map { read in
            ChildItems(
                snapshot: QueueSnapshot(
                    family: family,
                    epoch: read.snapshot.epoch,
                    generation: read.snapshot.generation,
                    version: read.snapshot.version,
                    items: read.snapshot.items.reversed()
                ),
                total: read.length
            )
        }
    }

    /// One list's items at one version: those of `range` (LRANGE's start and stop, inclusive,
    /// negative from the end), in the list's order, and the list's length.
    ///
    /// Every mutation of a family advances its version, so an unchanged version before and after
    /// the item reads proves that ids and items belong together; otherwise the read is repeated.
    static func readItems(
        _ connection: some RedisPipeline,
        keys: ContentKeys,
        list: String,
        range: (start: Int, stop: Int)
    ) async throws -> Result<(snapshot: QueueSnapshot, length: Int), ContentQueueError> {
        var lastError = ContentQueueError(.contention, "the family kept changing while it was read")
        for _ in 0..<8 {
            let answered = try await connection.replies(to: [
                RedisCommand("GET", keys.version),
                RedisCommand("GET", keys.epoch),
                RedisCommand("LRANGE", list, range.start, range.stop),
                RedisCommand("LLEN", list),
            ])
            let head = answered.values
            let version: Int
            do {
                version = try parseVersion(head[0], key: keys.version)
                guard let ids = head[2].array, let length = head[3].int else {
                    throw ContentQueueError(.corruptState, "\(list) is not a list")
                }
                let contentIDs = ids.compactMap { $0.string.flatMap(ContentID.init) }
                guard let epoch = head[1].string else {
                    // A family never written to (or lost): make its epoch, then read again.
                    _ = try await readVersion(connection, keys: keys)
                    continue
                }
                var commands = contentIDs.map { RedisCommand("HGETALL", keys.item($0)) }
                commands.append(RedisCommand("GET", keys.version))
                commands.append(RedisCommand("GET", keys.epoch))
                let after = try await connection.replies(to: commands)
                let replies = after.values
                let versionAfter = try parseVersion(replies[contentIDs.count], key: keys.version)
                // Both round trips must come from one node's history: a failover between them is a retry.
                guard versionAfter == version, replies[contentIDs.count + 1].string == epoch, after.generation == answered.generation
                else { continue }
                var items: [ContentItem] = []
                items.reserveCapacity(contentIDs.count)
                for reply in replies.prefix(contentIDs.count) {
                    // An id without its hash can only come from a hand edit; it is skipped, not shown half-made.
                    if let fields = reply.fieldDictionary, let item = ContentItem(hash: fields) {
                        items.append(item)
                    }
                }
                let snapshot = QueueSnapshot(
                    family: keys.family,
                    epoch: epoch,
                    generation: answered.generation,
                    version: version,
                    items: items
                )
                return .success((snapshot, length))
            } catch let error as ContentQueueError {
                lastError = error
                if error.code == .corruptState { break }
            }
        }
        return .failure(lastError)
    }

    /// The family's epoch and version. A missing epoch is created with SET NX, so that two
    /// gateways reading at once agree on it; an existing one is only read, so that a master
    /// that refuses writes (`NOREPLICAS` just after a promotion) still answers re-checks and
    /// stream openings.
    static func readVersion(_ connection: some RedisPipeline, keys: ContentKeys) async throws -> FamilyVersion {
        var answered = try await connection.replies(to: [RedisCommand("GET", keys.epoch), RedisCommand("GET", keys.version)])
        if answered.values[0] == .null {
            answered = try await connection.replies(to: [
                RedisCommand("SET", keys.epoch, Epoch.random(), "NX"),
                RedisCommand("GET", keys.epoch),
                RedisCommand("GET", keys.version),
            ])
            try answered.values[0].throwingServerError()
            answered.values.removeFirst()
        }
        let replies = answered.values
        try replies[0].throwingServerError()
        guard let epoch = replies[0].string else {
            throw RedisError(.unexpectedReply, "\(keys.epoch) is missing right after SET NX")
        }
        return FamilyVersion(epoch: epoch, generation: answered.generation, version: try parseVersion(replies[1], key: keys.version))
    }
}
