import RedisClient

extension ContentQueueStore {
    /// Reads the queue optimistically: version and ids, then the items and the version again.
    /// If the version moved in between, the read is repeated, so the items match the version.
    static func readQueue(_ connection: RedisConnection, family: FamilyID) throws -> Result<QueueSnapshot, ContentQueueError> {
        let keys = ContentKeys(family: family)
        var lastError = ContentQueueError(.contention, "the queue kept changing while it was read")
        for _ in 0..<8 {
            let head = try connection.pipeline([
                RedisCommand("GET", keys.version),
                RedisCommand("GET", keys.epoch),
                RedisCommand("LRANGE", keys.queue, 0, -1),
            ])
            let version: Int
            do {
                version = try parseVersion(head[0], key: keys.version)
                guard let list = head[2].array else {
                    throw ContentQueueError(.corruptState, "\(keys.queue) is not a list")
                }
                let ids = list.compactMap { $0.string.flatMap(ContentID.init) }
                guard let epoch = head[1].string else {
                    // A family never written to (or lost): make its epoch, then read again.
                    _ = try readVersion(connection, keys: keys)
                    continue
                }
                var commands = ids.map { RedisCommand("HGETALL", keys.item($0)) }
                commands.append(RedisCommand("GET", keys.version))
                commands.append(RedisCommand("GET", keys.epoch))
                let replies = try connection.pipeline(commands)
                let versionAfter = try parseVersion(replies[ids.count], key: keys.version)
                guard versionAfter == version, replies[ids.count + 1].string == epoch else { continue }
                var items: [ContentItem] = []
                items.reserveCapacity(ids.count)
                for reply in replies.prefix(ids.count) {
                    // An id without its hash can only come from a hand edit; it is skipped, not shown half-made.
                    if let fields = reply.fieldDictionary, let item = ContentItem(hash: fields) {
                        items.append(item)
                    }
                }
                return .success(QueueSnapshot(family: family, epoch: epoch, version: version, items: items))
            } catch let error as ContentQueueError {
                lastError = error
                if error.code == .corruptState { break }
            }
        }
        return .failure(lastError)
    }

    /// The family's epoch and version. A missing epoch is created with SET NX, so that two
    /// gateways reading at once agree on it.
    static func readVersion(_ connection: RedisConnection, keys: ContentKeys) throws -> FamilyVersion {
        let replies = try connection.pipeline([
            RedisCommand("SET", keys.epoch, Epoch.random(), "NX"),
            RedisCommand("GET", keys.epoch),
            RedisCommand("GET", keys.version),
        ])
        try replies[0].throwingServerError()
        guard let epoch = replies[1].string else {
            throw RedisError(.unexpectedReply, "\(keys.epoch) is missing right after SET NX")
        }
        return FamilyVersion(epoch: epoch, version: try parseVersion(replies[2], key: keys.version))
    }
}
