import FlimmerTestSupport
import Foundation
import Testing

@testable import Server

@Suite("X-Request-Id")
struct RequestIDTests {
    static func isSane(_ id: String?) -> Bool {
        guard let id, !id.isEmpty, id.count <= 64 else { return false }
        return id.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0) }
    }

    @Test func everyResponseCarriesAnIdAndASaneClientIdIsEchoed() async throws {
        try await TestRouter.run { server in
            let first = try await server.request(.GET, "/health/live")
            let second = try await server.request(.GET, "/health/live")
            let firstID = first.headers.first(name: "x-request-id")
            #expect(Self.isSane(firstID))
            #expect(firstID != second.headers.first(name: "x-request-id"))

            let given = "client-Req_42.a"
            let echoed = try await server.request(.GET, "/health/live", headers: [("X-Request-Id", given)])
            #expect(echoed.headers.first(name: "x-request-id") == given)

            for invalid in ["has space", "semi;colon", String(repeating: "a", count: 65), "quote\"d", ""] {
                let replaced = try await server.request(.GET, "/health/live", headers: [("X-Request-Id", invalid)])
                let id = replaced.headers.first(name: "x-request-id")
                #expect(id != invalid, "\(invalid) was echoed")
                #expect(Self.isSane(id), "\(String(describing: id)) for \(invalid)")
            }
        }
    }

    /// Ids come from a counter, not from getrandom per request: still 16 hex digits, and distinct.
    @Test func madeIdsAre16HexDigitsAndDistinct() {
        let ids = (0..<10_000).map { _ in RequestIDs.make() }
        #expect(
            ids.allSatisfy {
                $0.utf8.count == 16
                    && $0.utf8.allSatisfy {
                        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
                    }
            }
        )
        #expect(Set(ids).count == ids.count)
    }

    @Test func errorResponsesCarryTheIdToo() async throws {
        try await TestRouter.run { server in
            let unauthorized = try await server.request(.POST, "/api/content/upload", headers: [("X-Request-Id", "err-401")], body: "{}")
            #expect(unauthorized.status == 401)
            #expect(unauthorized.headers.first(name: "x-request-id") == "err-401")
            let notFound = try await server.request(.GET, "/no/such/path", headers: [("X-Request-Id", "err-404")])
            #expect(notFound.status == 404)
            #expect(notFound.headers.first(name: "x-request-id") == "err-404")
            let notAllowed = try await server.request(.DELETE, "/api/events", headers: [("X-Request-Id", "err-405")])
            #expect(notAllowed.status == 405)
            #expect(notAllowed.headers.first(name: "x-request-id") == "err-405")
        }
    }

    /// A stream that fails to open on the connection's fast path is answered by Hummingbird, with an id.
    @Test func aRefusedStreamCarriesTheId() async throws {
        try await TestServer.run { server in
            let refused = try await server.request(.GET, "/api/events", headers: [("X-Request-Id", "stream-401")])
            #expect(refused.status == 401)
            #expect(refused.headers.first(name: "x-request-id") == "stream-401")
        }
    }

    @Test func anEventStreamOnTheFastPathEchoesTheId() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let stream = try await server.openStream(token: family.parent, headers: [("X-Request-Id", "stream-ok-1")])
            defer { stream.close() }
            #expect(stream.status == 200)
            #expect(stream.headers.first(name: "x-request-id") == "stream-ok-1")
            let other = try await server.openStream(token: family.parent, headers: [("X-Request-Id", "bad id")])
            defer { other.close() }
            #expect(other.status == 200)
            #expect(Self.isSane(other.headers.first(name: "x-request-id")))
            #expect(other.headers.first(name: "x-request-id") != "bad id")
        }
    }
}
