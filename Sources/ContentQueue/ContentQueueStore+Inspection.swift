import RedisClient

extension ContentQueueStore {
    /// Reads the family's version, epoch, lists and items with read-only commands, so that
    /// it works as Redis's read-only `operator` user.
    public func inspect(family: FamilyID) async throws -> FamilyInspection {
        let keys = ContentKeys(family: family)
        return try await redis.withConnection { connection in
            let head = try connection.pipeline([
                RedisCommand("GET", keys.version),
                RedisCommand("GET", keys.epoch),
                RedisCommand("LRANGE", keys.queue, 0, -1),
                RedisCommand("LRANGE", keys.approved, 0, -1),
                RedisCommand("LRANGE", keys.rejected, 0, -1),
            ])
            for reply in head { try reply.throwingServerError() }
            let version = try Self.parseVersion(head[0], key: keys.version)
            let lists = head[2...4].map { ($0.array ?? []).compactMap(\.string) }
            let ids = lists.flatMap { $0 }
            let replies = try connection.pipeline(ids.compactMap(ContentID.init).map { RedisCommand("HGETALL", keys.item($0)) })
            var items: [String: ContentItem] = [:]
            for reply in replies {
                if let fields = reply.fieldDictionary, let item = ContentItem(hash: fields) { items[item.id] = item }
            }
            return FamilyInspection(
                family: family.rawValue, epoch: head[1].string, version: version,
                pending: lists[0].compactMap { items[$0] }, approved: lists[1].compactMap { items[$0] },
                rejected: lists[2].compactMap { items[$0] }, missing: ids.filter { items[$0] == nil }
            )
        }
    }
}
