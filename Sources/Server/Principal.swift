import ContentQueue

/// The verified holder of a bearer token. The family always comes from here, never from a request body.
public struct Principal: Sendable, Equatable {
    public var family: FamilyID
    public var user: UserID
    public var role: Role

    public init(family: FamilyID, user: UserID, role: Role) {
        self.family = family
        self.user = user
        self.role = role
    }
}
