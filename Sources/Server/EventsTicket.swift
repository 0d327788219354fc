import ContentQueue
import Foundation

/// What a stream ticket stands for: the principal of the bearer token it was asked with, and the
/// query keys its stream will carry. Kept in Redis as JSON under ``EventsTicketStore``'s key.
struct EventsTicket: Sendable, Equatable {
    var principal: Principal
    /// The stream's query keys, nil for all.
    var keys: Set<QueryKey>?

    private struct Stored: Codable {
        var family: String
        var user: String
        var role: Role
        var keys: [String]?
        /// The token's `validUntil`, in seconds since 1970.
        var validUntil: Double?
    }

    /// The JSON kept in Redis.
    func encoded() throws -> [UInt8] {
        let stored = Stored(
            family: principal.family.rawValue,
            user: principal.user.rawValue,
            role: principal.role,
            keys: keys.map { $0.map(\.rawValue).sorted() },
            validUntil: principal.validUntil?.timeIntervalSince1970
        )
        return Array(try JSONEncoder().encode(stored))
    }

    /// The ticket kept as `bytes`, or nil if they are not one (nothing this server wrote).
    init?(decoding bytes: [UInt8]) {
        guard
            let stored = try? JSONDecoder().decode(Stored.self, from: Data(bytes)),
            let family = FamilyID(stored.family),
            let user = UserID(stored.user)
        else { return nil }
        var keys: Set<QueryKey>?
        if let names = stored.keys {
            let parsed = names.compactMap(QueryKey.init)
            guard parsed.count == names.count else { return nil }
            keys = Set(parsed)
        }
        self.init(
            principal: Principal(
                family: family,
                user: user,
                role: stored.role,
                validUntil: stored.validUntil.map(Date.init(timeIntervalSince1970:))
            ),
            keys: keys
        )
    }

    init(principal: Principal, keys: Set<QueryKey>?) {
        self.principal = principal
        self.keys = keys
    }
}
