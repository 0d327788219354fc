import RedisClient

/// A family's state for one invalidation key: its epoch (the family's data lineage in Redis), the
/// generation of the node that said so (whose history of writes), and the version.
///
/// Its tag is both the SSE event id and (quoted) the ETag: `<epoch>-<generation>-<version>`, or
/// `<epoch>-<version>` when the node could not tell its generation. Two tags name the same
/// state only when all their parts are equal: a version number alone is not vouched for by a
/// node of another generation, which may not hold the writes that made it.
public struct FamilyVersion: Sendable, Equatable, Hashable {
    public var epoch: String
    public var generation: RedisGeneration?
    public var version: Int

    public init(epoch: String, generation: RedisGeneration? = nil, version: Int) {
        self.epoch = epoch
        self.generation = generation
        self.version = version
    }

    /// `<epoch>-<generation>-<version>`, or `<epoch>-<version>` without a generation.
    public var tag: String {
        guard let generation else { return "\(epoch)-\(version)" }
        return "\(epoch)-\(generation)-\(version)"
    }

    /// Parses a tag; `nil` for anything else.
    public init?(tag: String) {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, let versionText = parts.last else { return nil }
        let epoch = parts[0]
        guard Epoch.isValid(epoch), versionText.utf8.count <= 18, let version = Int(versionText), version >= 0,
            versionText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        var generation: RedisGeneration?
        if parts.count == 3 {
            guard let parsed = RedisGeneration(parts[1]) else { return nil }
            generation = parsed
        }
        self.init(epoch: String(epoch), generation: generation, version: version)
    }

    /// Whether `self`, a state a client saw, is the same history as `current` (same epoch, same
    /// generation): only then do their versions compare.
    public func isSameHistory(as current: FamilyVersion) -> Bool {
        epoch == current.epoch && generation == current.generation
    }
}
