import ContentQueue
import Foundation

/// The verified holder of a bearer token. The family always comes from here, never from a request body.
public struct Principal: Sendable, Equatable {
    public var family: FamilyID
    public var user: UserID
    public var role: Role
    /// Until when the token that proved this principal is accepted: its `exp` plus the allowed
    /// clock skew. An event stream opened with it ends then, so that its client must come back
    /// with a token that is still good. Nil for a principal not read from a token.
    public var validUntil: Date?

    public init(family: FamilyID, user: UserID, role: Role, validUntil: Date? = nil) {
        self.family = family
        self.user = user
        self.role = role
        self.validUntil = validUntil
    }
}
