import RedisClient

/// Items of one of a family's lists (the pending queue, or one child's uploads) at one version.
public struct QueueSnapshot: Sendable, Equatable {
    public var family: FamilyID
    public var epoch: String
    /// The generation of the node the items were read from.
    public var generation: RedisGeneration?
    public var version: Int
    /// Oldest first for the queue; newest first for a child's uploads.
    public var items: [ContentItem]

    public init(family: FamilyID, epoch: String, generation: RedisGeneration? = nil, version: Int, items: [ContentItem]) {
        self.family = family
        self.epoch = epoch
        self.generation = generation
        self.version = version
        self.items = items
    }

    /// The state the items are of: its tag is the ETag.
    public var familyVersion: FamilyVersion { FamilyVersion(epoch: epoch, generation: generation, version: version) }
}
