import ContentQueue

/// The verified holder of a service token.
public struct ServiceCaller: Sendable, Equatable {
    /// The `sub` of the token: which service.
    public var user: UserID
    /// The one family the token is for, or nil when it is valid for every family (`fam` `*`).
    public var family: FamilyID?

    public init(user: UserID, family: FamilyID?) {
        self.user = user
        self.family = family
    }

    /// Whether the token may invalidate keys of `family`.
    public func mayInvalidate(_ family: FamilyID) -> Bool {
        self.family == nil || self.family == family
    }
}
