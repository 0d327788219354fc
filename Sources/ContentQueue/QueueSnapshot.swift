/// Items of one of a family's lists (the pending queue, or one child's uploads) at one version.
public struct QueueSnapshot: Sendable, Equatable {
    public var family: FamilyID
    public var epoch: String
    public var version: Int
    /// Oldest first for the queue; newest first for a child's uploads.
    public var items: [ContentItem]

    public init(family: FamilyID, epoch: String, version: Int, items: [ContentItem]) {
        self.family = family
        self.epoch = epoch
        self.version = version
        self.items = items
    }
}

/// A family's epoch and version for one invalidation key.
public struct FamilyVersion: Sendable, Equatable, Hashable {
    public var epoch: String
    public var version: Int

    public init(epoch: String, version: Int) {
        self.epoch = epoch
        self.version = version
    }

    /// The text used both as SSE event id and (quoted) as ETag: `<epoch>-<version>`.
    public var tag: String { "\(epoch)-\(version)" }

    /// Parses `<epoch>-<version>`; `nil` for anything else.
    public init?(tag: String) {
        guard let dash = tag.lastIndex(of: "-") else { return nil }
        let epoch = tag[..<dash]
        let versionText = tag[tag.index(after: dash)...]
        guard Epoch.isValid(epoch), versionText.utf8.count <= 18, let version = Int(versionText), version >= 0,
            versionText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        self.init(epoch: String(epoch), version: version)
    }
}
