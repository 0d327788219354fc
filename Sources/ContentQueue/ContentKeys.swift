/// The Redis key layout of one family. Every key carries the family in a `{F}` hash tag,
/// so that a Redis Cluster keeps a family's keys in one slot and its transactions legal.
///
/// | key | type | holds |
/// |---|---|---|
/// | `contentQueue:{F}` | LIST | pending content ids, oldest first |
/// | `contentApproved:{F}` | LIST | approved ids, in decision order |
/// | `contentRejected:{F}` | LIST | rejected ids, in decision order |
/// | `contentChild:{F}:<child>` | LIST | the ids one child uploaded, oldest first |
/// | `content:{F}:<id>` | HASH | one item |
/// | `contentQueue:{F}:version` | STRING (integer) | bumped by one with every mutation |
/// | `epoch:{F}` | STRING | random; changes only if Redis loses the family's data |
/// | `idempotency:{F}:<digest>` | STRING | a mutation's answer, for retries with its Idempotency-Key; expires after 24 h |
public struct ContentKeys: Sendable {
    /// The family whose keys these are.
    public let family: FamilyID

    public init(family: FamilyID) {
        self.family = family
    }

    private var tag: String { "{\(family.rawValue)}" }

    private static let queueName = ContentQueueStore.invalidationKey
    private static let approvedName = "contentApproved"
    private static let rejectedName = "contentRejected"
    private static let childName = "contentChild"
    private static let itemName = "content"
    private static let epochName = "epoch"
    private static let idempotencyName = "idempotency"

    /// The names before `:{F}` of every key of the layout. No query key may be one of them
    /// (``QueryKey/isReserved``): its `<key>:{F}:version` could be one of these keys
    /// (`contentChild:{F}:version` is the upload list of a child called `version`).
    public static let layoutNames: Set<String> = [queueName, approvedName, rejectedName, childName, itemName, epochName, idempotencyName]

    /// `contentQueue:{F}`: pending ids, oldest first.
    public var queue: String { "\(Self.queueName):\(tag)" }
    /// `contentApproved:{F}`: approved ids.
    public var approved: String { "\(Self.approvedName):\(tag)" }
    /// `contentRejected:{F}`: rejected ids.
    public var rejected: String { "\(Self.rejectedName):\(tag)" }
    /// `contentQueue:{F}:version`: the family's queue version.
    public var version: String { QueryKey.contentQueue.versionKey(family: family) }
    /// `epoch:{F}`: the family's epoch.
    public var epoch: String { "\(Self.epochName):\(tag)" }

    /// `contentChild:{F}:<child>`: every id `child` uploaded, oldest first, whatever its status.
    public func child(_ child: UserID) -> String { "\(Self.childName):\(tag):\(child.rawValue)" }

    /// `content:{F}:<id>`: one item.
    public func item(_ id: ContentID) -> String { "\(Self.itemName):\(tag):\(id.rawValue)" }

    /// `idempotency:{F}:<digest>`: one mutation's answer, kept for retries (``IdempotentRequest``).
    func idempotency(_ digest: String) -> String { "\(Self.idempotencyName):\(tag):\(digest)" }

    /// The list that holds ids of the given status.
    public func list(for status: ContentStatus) -> String {
        switch status {
        case .pending: return queue
        case .approved: return approved
        case .rejected: return rejected
        }
    }
}
