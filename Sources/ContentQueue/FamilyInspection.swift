/// Everything Redis holds for one family, read without writing anything: what
/// `flimmer-sync inspect` shows an operator.
public struct FamilyInspection: Sendable, Equatable, Codable {
    public var family: String
    /// `nil` when the family has never been written to (or Redis lost it).
    public var epoch: String?
    /// The content queue's version (`contentQueue:{F}:version`; 0 when unset).
    public var version: Int
    /// Every query key's version that is set, the queue's included: `["contentQueue": 7, "profile": 2]`.
    public var versions: [String: Int]
    /// Oldest first.
    public var pending: [ContentItem]
    /// In decision order.
    public var approved: [ContentItem]
    /// In decision order.
    public var rejected: [ContentItem]
    /// Ids listed without a readable item hash (only a hand edit makes these).
    public var missing: [String]
}
