/// The outcome of a committed mutation: the item as stored and the version the same transaction set.
public struct MutationResult: Sendable, Equatable, Codable {
    public var item: ContentItem
    public var version: Int
    public var epoch: String

    public init(item: ContentItem, version: Int, epoch: String) {
        self.item = item
        self.version = version
        self.epoch = epoch
    }
}
