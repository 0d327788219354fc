import ContentQueue

/// A user of a family: whom the per-user stream cap counts. User ids are unique within a family only.
public struct StreamOwner: Sendable, Hashable {
    public let family: FamilyID
    public let user: UserID

    public init(family: FamilyID, user: UserID) {
        self.family = family
        self.user = user
    }
}
