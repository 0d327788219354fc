import RedisClient

/// The outcome of a committed mutation: the item as stored and the version the same transaction set.
public struct MutationResult: Sendable, Equatable, Codable {
    public var item: ContentItem
    public var version: Int
    public var epoch: String
    /// The generation of the master that committed it, when it could tell.
    public var generation: String?

    public init(item: ContentItem, version: Int, epoch: String, generation: RedisGeneration? = nil) {
        self.item = item
        self.version = version
        self.epoch = epoch
        self.generation = generation?.rawValue
    }

    /// The id of the event that announces it, and the queue's ETag once it is the newest
    /// mutation: `<epoch>-<generation>-<version>`.
    public var familyVersion: FamilyVersion {
        FamilyVersion(epoch: epoch, generation: generation.flatMap { RedisGeneration($0) }, version: version)
    }
}
