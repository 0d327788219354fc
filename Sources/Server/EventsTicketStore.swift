import ContentQueue
import FlimmerFormats
import Foundation
import RedisClient

/// Stream tickets: short-lived, single-use stand-ins for a bearer token in the stream's URL.
///
/// A browser's EventSource cannot send headers, so a token would have to ride in the query
/// string, where proxies and access logs keep it. Instead the page asks `POST /api/events/ticket`
/// with its token and opens `GET /api/events?ticket=…`. A ticket is 256 random bits; Redis
/// keeps what it stands for under `streamTicket:{<ticket>}` with a TTL, so any gateway of the
/// deployment can take it, and it is taken with GETDEL, so it opens one stream at most.
struct EventsTicketStore: Sendable {
    let redis: RedisClient
    /// How long a ticket waits to be used (``ServerConfiguration/streamTicketLifetime``).
    let lifetime: Duration

    /// A new ticket for `ticket`'s principal and keys.
    func issue(_ ticket: EventsTicket) async throws -> String {
        var generator = SystemRandomNumberGenerator()
        let text = (0..<4).map { _ in HexText.padded(generator.next() as UInt64) }.joined()
        let key = Self.key(text)
        _ = try await redis.routed(by: key).send(
            RedisCommand("SET", key, try ticket.encoded(), "EX", String(lifetime.components.seconds))
        ).throwingServerError()
        return text
    }

    /// What `text` stands for, taking it: a second use, an expired ticket and a made-up one are
    /// all refused alike, with 401.
    func redeem(_ text: String) async throws -> EventsTicket {
        guard Self.isWellFormed(text) else { throw Self.refused }
        let key = Self.key(text)
        let reply = try await redis.routed(by: key).send(RedisCommand("GETDEL", key)).throwingServerError()
        guard case .bulkString(let bytes) = reply, let ticket = EventsTicket(decoding: bytes) else { throw Self.refused }
        if let validUntil = ticket.principal.validUntil, validUntil <= Date() {
            throw APIError.unauthorized("the token this ticket was issued for has expired")
        }
        return ticket
    }

    /// 64 lowercase hex digits, as ``issue(_:)`` makes them.
    static func isWellFormed(_ text: String) -> Bool {
        HexText.isLowercaseHex(text, digits: 64)
    }

    static func key(_ text: String) -> String { "streamTicket:{\(text)}" }

    static let refused = APIError.unauthorized("the stream ticket is unknown, used or expired")
}
