import RedisClient

extension ContentQueueStore {
    /// Reads the family's versions, epoch, lists and items with read-only commands, so that
    /// it works as Redis's read-only `operator` user.
    ///
    /// The versions of keys other than the queue's (those of `POST /api/invalidate`) are found
    /// with SCAN, which walks the whole keyspace: an operator's tool, not a request path.
    public func inspect(family: FamilyID) async throws -> FamilyInspection {
        let keys = ContentKeys(family: family)
        let connection = route(family)
        let head = try await connection.pipeline([
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
        let replies = try await connection.pipeline(ids.compactMap(ContentID.init).map { RedisCommand("HGETALL", keys.item($0)) })
        var items: [String: ContentItem] = [:]
        for reply in replies {
            if let fields = reply.fieldDictionary, let item = ContentItem(hash: fields) { items[item.id] = item }
        }
        return FamilyInspection(
            family: family.rawValue,
            epoch: head[1].string,
            version: version,
            versions: try await Self.keyVersions(connection, family: family),
            pending: lists[0].compactMap { items[$0] },
            approved: lists[1].compactMap { items[$0] },
            rejected: lists[2].compactMap { items[$0] },
            missing: ids.filter { items[$0] == nil }
        )
    }

    /// Every `<key>:{F}:version` of the family that exists, by query key.
    static func keyVersions(_ connection: some RedisPipeline, family: FamilyID) async throws -> [String: Int] {
        // Family ids hold none of SCAN's glob characters (* ? [ ] \), so the pattern is literal but for its `*`.
        let suffix = ":{\(family.rawValue)}:version"
        var names: [String] = []
        var cursor = "0"
        repeat {
            let reply = try await connection.send(RedisCommand("SCAN", cursor, "MATCH", "*" + suffix, "COUNT", 1000))
            try reply.throwingServerError()
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let found = parts[1].array else {
                throw ContentQueueError(.corruptState, "SCAN answered an unexpected reply")
            }
            names += found.compactMap(\.string)
            cursor = next
        } while cursor != "0"
        // SCAN may return a key more than once.
        let unique = Array(Set(names)).sorted()
        let values = try await connection.pipeline(unique.map { RedisCommand("GET", $0) })
        var versions: [String: Int] = [:]
        for (name, value) in zip(unique, values) {
            // The layout's other names (a child called "version" has contentChild:{F}:version) hold no versions.
            guard let key = QueryKey(String(name.dropLast(suffix.count))), key == .contentQueue || !key.isReserved else { continue }
            // Deleted between SCAN and GET: not there any more.
            if value.isNull { continue }
            versions[key.rawValue] = try parseVersion(value, key: name)
        }
        return versions
    }
}
