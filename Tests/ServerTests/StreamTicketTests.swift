import ContentQueue
import FlimmerTestSupport
import Foundation
import Server
import Testing

/// `POST /api/events/ticket` trades a bearer token for a ticket that opens one stream
/// (`GET /api/events?ticket=…`) within its lifetime, on any gateway of the deployment.
@Suite("Event streams: tickets instead of tokens in URLs")
struct StreamTicketTests {
    /// Asks `gateway` for a ticket with `token` and returns it, checking the answer's shape.
    static func ticket(_ gateway: TestServer, token: String, query: String = "") async throws -> String {
        let response = try await gateway.request(.POST, "/api/events/ticket" + query, token: token)
        #expect(response.status == 201)
        #expect(response.headers["Cache-Control"].first == "no-store")
        let json = try response.json()
        #expect(json["expiresIn"] as? Int == 30)
        let ticket = try #require(json["ticket"] as? String)
        #expect(ticket.count == 64 && ticket.allSatisfy(\.isHexDigit))
        return ticket
    }

    @Test func aTicketOpensOneStreamOnAnotherGatewayToo() async throws {
        try await TestServer.run { gatewayA in
            try await TestServer.run { gatewayB in
                let family = try await gatewayA.family()
                let ticket = try await Self.ticket(gatewayA, token: family.parent)
                let stream = try await gatewayB.openStream(token: nil, query: "?ticket=\(ticket)")
                defer { stream.close() }
                #expect(stream.status == 200)
                try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
                let upload = try await gatewayA.upload(token: family.child)
                let event = try await stream.nextEvent()
                #expect(event.type == "invalidate" && event.data.contains(#""version":\#(upload.version)"#))
                // The family is the ticket's: the stream counts against the token's user.
                #expect(gatewayB.server.hub.streamCount == 1)
                for gateway in [gatewayA, gatewayB] {
                    let again = try await gateway.request(.GET, "/api/events?ticket=\(ticket)")
                    #expect(again.status == 401)
                    #expect(again.errorCode == "unauthorized")
                    #expect(again.headers["WWW-Authenticate"].first == "Bearer")
                }
            }
        }
    }

    @Test func anExpiredTicketIsRefused() async throws {
        try await TestServer.run(configure: { $0.streamTicketLifetime = .seconds(1) }) { server in
            let family = try await server.family()
            let response = try await server.request(.POST, "/api/events/ticket", token: family.child)
            #expect(try response.json()["expiresIn"] as? Int == 1)
            let ticket = try #require(try response.json()["ticket"] as? String)
            try await Task.sleep(for: .milliseconds(2100))
            let late = try await server.request(.GET, "/api/events?ticket=\(ticket)")
            #expect(late.status == 401)
            #expect(late.errorCode == "unauthorized")
        }
    }

    @Test(arguments: [
        String(repeating: "0", count: 64),  // well formed, never issued
        String(repeating: "A", count: 64),  // not lowercase hex
        "abc",
        "",
    ])
    func aTicketThatWasNeverIssuedIsRefused(ticket: String) async throws {
        try await TestServer.run { server in
            let response = try await server.request(.GET, "/api/events?ticket=\(ticket)")
            #expect(response.status == 401)
            #expect(response.errorCode == "unauthorized")
            #expect(server.server.hub.streamCount == 0)
        }
    }

    @Test func aTicketCarriesTheKeysAskedForAndRefusesOthersBesideIt() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let ticket = try await Self.ticket(server, token: family.parent, query: "?keys=profile")
            // Refused before the ticket is taken: it still opens its stream afterwards.
            let withKeys = try await server.request(.GET, "/api/events?ticket=\(ticket)&keys=contentQueue")
            #expect(withKeys.status == 400)
            #expect(withKeys.errorCode == "invalid_field")
            let withToken = try await server.request(.GET, "/api/events?ticket=\(ticket)", token: family.parent)
            #expect(withToken.status == 400)
            let stream = try await server.openStream(token: nil, query: "?ticket=\(ticket)")
            defer { stream.close() }
            try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
            // The stream wants `profile` only: an upload (contentQueue) reaches it as nothing, and
            // a profile invalidation does.
            try await server.upload(token: family.child)
            let service = try await server.serviceToken(family: family.id)
            let invalidated = try await server.request(
                .POST,
                "/api/invalidate",
                token: service,
                body: #"{"family":"\#(family.id.rawValue)","key":"profile"}"#
            )
            #expect(invalidated.status == 200)
            let event = try await stream.nextEvent()
            #expect(event.type == "invalidate" && event.data.contains(#""key":"profile""#))
        }
    }

    @Test func aTicketIsOnlyIssuedForAValidTokenOfAStreamRole() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let none = try await server.request(.POST, "/api/events/ticket")
            #expect(none.status == 401)
            let expired = try await family.token(user: "mom", role: .parent, ttl: -600)
            #expect(try await server.request(.POST, "/api/events/ticket", token: expired).status == 401)
            // Only in the header: a ticket exists to keep tokens out of URLs.
            let inQuery = try await server.request(.POST, "/api/events/ticket?access_token=\(family.parent)")
            #expect(inQuery.status == 401)
            let badKeys = try await server.request(.POST, "/api/events/ticket?keys=no%20such", token: family.parent)
            #expect(badKeys.status == 400)
            #expect(badKeys.errorCode == "invalid_field")
            let service = try await server.serviceToken(family: family.id)
            let asService = try await server.request(.POST, "/api/events/ticket", token: service)
            #expect([401, 403].contains(asService.status))
            let wrongMethod = try await server.request(.GET, "/api/events/ticket", token: family.parent)
            #expect(wrongMethod.status == 405)
        }
    }
}
