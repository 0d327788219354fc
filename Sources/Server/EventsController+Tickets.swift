import ContentQueue
import Foundation
import HTTPTypes
import Hummingbird

extension EventsController {
    /// `POST /api/events/ticket`: the route that trades a bearer token for a stream ticket.
    static let ticketRoute = "/api/events/ticket"

    /// The answer of ``issueTicket(_:)``.
    struct TicketResponse: Encodable {
        /// Opens one stream: `GET /api/events?ticket=<ticket>`.
        var ticket: String
        /// Seconds within which the stream must be opened.
        var expiresIn: Int
    }

    /// Issues a ticket for the stream the bearer token (header only: the point is to keep it out
    /// of URLs) may open, bound to its family, user, role, expiry and the `keys` asked here.
    func issueTicket(_ request: Request) async throws -> Response {
        let principal = try await auth.principal(request, roles: [.parent, .child])
        let keys = try Self.keys(request.uri.queryParameters["keys"].map(String.init))
        let ticket = try await tickets.issue(EventsTicket(principal: principal, keys: keys))
        let answer = TicketResponse(ticket: ticket, expiresIn: Int(tickets.lifetime.components.seconds))
        return try JSONResponse.make(answer, status: .created, headers: [.cacheControl: "no-store"])
    }

    /// Who opens the stream of `request`, and for which keys: from its ticket when it has one
    /// (the keys are the ticket's), else from its bearer token and `keys` parameter.
    func streamHolder(_ request: Request) async throws -> (Principal, Set<QueryKey>?) {
        let query = request.uri.queryParameters
        guard let ticket = query["ticket"] else {
            let principal = try await auth.principal(request, allowQuery: true, roles: [.parent, .child])
            return (principal, try Self.keys(query["keys"].map(String.init)))
        }
        // One credential per stream: which one would count if they disagreed is nobody's guess.
        if request.headers[.authorization] != nil || query["access_token"] != nil {
            throw APIError.invalidField("ticket", "cannot come with a bearer token as well")
        }
        if query["keys"] != nil {
            throw APIError.invalidField("keys", "are bound to the ticket: ask for them when the ticket is issued")
        }
        let redeemed = try await tickets.redeem(String(ticket))
        return (redeemed.principal, redeemed.keys)
    }
}
