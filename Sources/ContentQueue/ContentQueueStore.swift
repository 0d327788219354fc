import FlimmerFormats
import Logging
import RedisClient

/// The content queue in Redis: uploads, decisions and reads.
///
/// Every mutation is one MULTI/EXEC that writes the item, moves its id between lists,
/// stores the family's next version and PUBLISHes the invalidation that names that
/// version, so there is never a write without its event nor an event without its write.
/// WATCH guards the version (and, for decisions, the item's status); a transaction that
/// lost a race is retried, up to ``Configuration/maxAttempts``.
public struct ContentQueueStore: Sendable {
    /// Tuning for the store.
    public struct Configuration: Sendable {
        /// Attempts of one mutation before it fails with ``ContentQueueError/Code/contention``.
        public var maxAttempts: Int
        /// Replicas that must hold a write before it is acknowledged (`WAIT` after EXEC); 0: the
        /// master's word is enough.
        public var minReplicas: Int
        /// How long `WAIT` waits for them; past it a committed write answers
        /// ``ContentQueueError/Code/replicationTimeout``.
        public var replicationTimeout: Duration

        /// Where mutations publish their invalidations (default ``InvalidationChannels/classic``).
        public var channels: InvalidationChannels

        public init(
            maxAttempts: Int = 64,
            minReplicas: Int = 0,
            replicationTimeout: Duration = .seconds(1),
            channels: InvalidationChannels = .classic
        ) {
            self.maxAttempts = maxAttempts
            self.minReplicas = minReplicas
            self.replicationTimeout = replicationTimeout
            self.channels = channels
        }
    }

    /// The invalidation key of the content queue, and so its channel `invalidate:contentQueue`.
    public static let invalidationKey = "contentQueue"
    /// The channel every content mutation publishes on.
    public static let channel = InvalidationPayload.channel(for: invalidationKey)

    let redis: RedisClient
    let configuration: Configuration
    let logger: Logger

    public init(redis: RedisClient, configuration: Configuration = .init(), logger: Logger) {
        self.redis = redis
        self.configuration = configuration
        self.logger = logger
    }

    /// Adds a pending item for `child` in `family` and returns it with the version that announced it.
    ///
    /// With `idempotency`, a retry of the same request returns what the first one did and writes
    /// nothing; the same key with another request fails with ``ContentQueueError/Code/idempotencyKeyReused``.
    public func upload(
        family: FamilyID,
        child: UserID,
        draft: ContentDraft,
        idempotency: IdempotentRequest? = nil
    ) async throws -> Mutated<MutationResult> {
        try await mutate(family: family, idempotency) { connection, guarantees in
            try await Self.uploadAttempt(connection, family: family, child: child, draft: draft, now: .now(), guarantees: guarantees)
        }
    }

    /// Approves or rejects a pending item. Of concurrent decisions on one item exactly one commits;
    /// the others fail with ``ContentQueueError/Code/notPending``. `idempotency` as for ``upload(family:child:draft:idempotency:)``.
    public func decide(
        family: FamilyID,
        id: ContentID,
        parent: UserID,
        decision: Decision,
        idempotency: IdempotentRequest? = nil
    ) async throws -> Mutated<MutationResult> {
        try await mutate(family: family, idempotency) { connection, guarantees in
            try await Self.decideAttempt(
                connection,
                family: family,
                id: id,
                parent: parent,
                decision: decision,
                now: .now(),
                guarantees: guarantees
            )
        }
    }

    /// Runs a mutation's attempts on one leased connection (WATCH holds only there) to the node
    /// that serves `family` until one commits, replays its record or fails, each with what every
    /// mutation of this store commits with: `idempotency`, the replicas to wait for, and where
    /// it publishes.
    func mutate<Value: Sendable>(
        family: FamilyID,
        _ idempotency: IdempotentRequest?,
        _ attempt: (RedisLease, Guarantees) async throws -> Attempt<Value>
    ) async throws -> Mutated<Value> {
        let guarantees = Guarantees(
            idempotency: idempotency,
            replicas: configuration.minReplicas,
            replicationTimeout: configuration.replicationTimeout,
            channels: configuration.channels
        )
        let maxAttempts = configuration.maxAttempts
        return try await route(family).withConnection { connection in
            try await Self.retrying(maxAttempts: maxAttempts) { try await attempt(connection, guarantees) }
        }.get()
    }

    /// The pending queue, oldest first, read consistently with the version it reports.
    public func queue(family: FamilyID) async throws -> QueueSnapshot {
        try await Self.readQueue(route(family), family: family).get()
    }

    /// The newest `limit` items `child` uploaded, newest first and whatever their status, read
    /// consistently with the family version it reports. `limit` must be at least 1.
    public func childItems(family: FamilyID, child: UserID, limit: Int) async throws -> ChildItems {
        precondition(limit >= 1, "limit must be at least 1")
        return try await Self.readChildItems(route(family), family: family, child: child, limit: limit).get()
    }

    /// One item of the family, whatever its status; `nil` when the family has no such item.
    public func item(family: FamilyID, id: ContentID) async throws -> ContentItem? {
        let key = ContentKeys(family: family).item(id)
        let reply = try await route(family).send(RedisCommand("HGETALL", key))
        try reply.throwingServerError()
        guard let fields = reply.fieldDictionary, !fields.isEmpty else { return nil }
        guard let item = ContentItem(hash: fields) else {
            throw ContentQueueError(.corruptState, "\(key) is missing required fields")
        }
        return item
    }

    /// The family's current epoch and queue version; creates the epoch if the family has none yet.
    public func currentVersion(family: FamilyID) async throws -> FamilyVersion {
        try await Self.readVersion(route(family), keys: ContentKeys(family: family))
    }

    /// The commands of `family`: to the node that serves its slot (every key of a family shares
    /// its `{F}` hash tag).
    func route(_ family: FamilyID) -> RedisRoute {
        redis.routed(by: ContentKeys(family: family).version)
    }

    /// Epoch and version of several families, in one round trip per slot (one in all outside a
    /// cluster) for those that already have an epoch.
    public func currentVersions(families: [FamilyID]) async throws -> [FamilyID: FamilyVersion] {
        var groups: [RedisSlot?: [FamilyID]] = [:]
        let clustered = redis.configuration.cluster != nil
        for family in families { groups[clustered ? route(family).slot : nil, default: []].append(family) }
        var result: [FamilyID: FamilyVersion] = [:]
        for (slot, members) in groups {
            result.merge(try await currentVersions(members, slot: slot)) { $1 }
        }
        return result
    }

    private func currentVersions(_ families: [FamilyID], slot: RedisSlot?) async throws -> [FamilyID: FamilyVersion] {
        var commands: [RedisCommand] = []
        for family in families {
            let keys = ContentKeys(family: family)
            commands += [RedisCommand("GET", keys.version), RedisCommand("GET", keys.epoch)]
        }
        let answered = try await redis.replies(to: commands, slot: slot)
        let replies = answered.values
        var result: [FamilyID: FamilyVersion] = [:]
        for (index, family) in families.enumerated() {
            let keys = ContentKeys(family: family)
            let version = try Self.parseVersion(replies[index * 2], key: keys.version)
            if let epoch = replies[index * 2 + 1].string {
                result[family] = FamilyVersion(epoch: epoch, generation: answered.generation, version: version)
            } else {
                result[family] = try await Self.readVersion(route(family), keys: keys)
            }
        }
        return result
    }
}
