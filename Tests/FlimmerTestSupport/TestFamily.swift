import ContentQueue
import Foundation
import Server

/// A family of the test's own, so its own key space, with a token for its parent "mom" and
/// one for its child "kid": what nearly every gateway test starts with.
public struct TestFamily: Sendable, CustomStringConvertible {
    public let id: FamilyID
    /// A parent token of user "mom".
    public let parent: String
    /// A child token of user "kid".
    public let child: String
    let tokens: TokenAuthority

    /// A new family whose tokens `tokens` signs (a gateway's, so that it accepts them).
    public init(tokens: TokenAuthority) async throws {
        let id = TestEnvironment.uniqueFamily()
        self.id = id
        self.tokens = tokens
        parent = try await tokens.issue(for: Principal(family: id, user: UserID("mom")!, role: .parent), ttl: 600)
        child = try await tokens.issue(for: Principal(family: id, user: UserID("kid")!, role: .child), ttl: 600)
    }

    /// Another member's token, or one with another lifetime (negative: already expired).
    public func token(user: String, role: Role, ttl: TimeInterval = 600) async throws -> String {
        try await tokens.issue(for: Principal(family: id, user: UserID(user)!, role: role), ttl: ttl)
    }

    /// A service token scoped to this family.
    public func serviceToken(user: String = "billing", ttl: TimeInterval = 600) async throws -> String {
        try await tokens.issueService(user: UserID(user)!, family: id, ttl: ttl)
    }

    public var description: String { id.rawValue }
}
