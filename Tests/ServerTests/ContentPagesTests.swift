import ContentQueue
import FlimmerTestSupport
import Foundation
import Server
import Testing

/// `GET /api/content/history` (what was decided, newest first, paged) and the queue's pages.
@Suite("Content pages: the history and the queue, page by page")
struct ContentPagesTests {
    /// Uploads `count` items as the family's child and returns their ids, oldest first.
    static func uploads(_ server: TestServer, _ family: TestFamily, count: Int) async throws -> [String] {
        var ids: [String] = []
        for index in 0..<count { ids.append(try await server.upload(token: family.child, title: "video \(index)").id) }
        return ids
    }

    static func page(_ server: TestServer, _ path: String, token: String) async throws -> (ids: [String], json: [String: Any]) {
        let response = try await server.request(.GET, path, token: token)
        #expect(response.status == 200, "\(path): \(response.text)")
        let json = try response.json()
        let items = try #require(json["items"] as? [[String: Any]])
        return (items.compactMap { $0["id"] as? String }, json)
    }

    @Test func theHistoryIsNewestFirstAndItsPagesHoldStillWhileDecisionsComeIn() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let ids = try await Self.uploads(server, family, count: 6)
            for id in ids.prefix(5) {
                #expect(try await server.request(.POST, "/api/content/\(id)/approve", token: family.parent).status == 200)
            }
            let first = try await Self.page(server, "/api/content/history?status=approved&limit=2", token: family.parent)
            #expect(first.ids == [ids[4], ids[3]])
            #expect(first.json["total"] as? Int == 5)
            #expect(first.json["status"] as? String == "approved")
            let cursor = try #require(first.json["nextCursor"] as? String)
            // A decision between two pages lands on the first page, not on the next one.
            #expect(try await server.request(.POST, "/api/content/\(ids[5])/approve", token: family.parent).status == 200)
            let second = try await Self.page(server, "/api/content/history?status=approved&limit=2&cursor=\(cursor)", token: family.parent)
            #expect(second.ids == [ids[2], ids[1]])
            #expect(second.json["total"] as? Int == 6)
            let last = try await Self.page(
                server,
                "/api/content/history?status=approved&limit=2&cursor=\(try #require(second.json["nextCursor"] as? String))",
                token: family.parent
            )
            #expect(last.ids == [ids[0]])
            #expect(last.json["nextCursor"] is NSNull)
            let items = try #require(first.json["items"] as? [[String: Any]])
            #expect(items.allSatisfy { $0["status"] as? String == "approved" && $0["decidedBy"] as? String == "mom" && $0["decidedAt"] is String })
        }
    }

    @Test func rejectedItemsCarryTheirReasonAndTheHistoryAnswers304WhenUnchanged() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let ids = try await Self.uploads(server, family, count: 2)
            let rejected = try await server.request(.POST, "/api/content/\(ids[0])/reject", token: family.parent, body: #"{"reason":"too scary"}"#)
            #expect(rejected.status == 200)
            let response = try await server.request(.GET, "/api/content/history?status=rejected", token: family.parent)
            let items = try #require(try response.json()["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect(items.first?["rejectReason"] as? String == "too scary")
            #expect(try await Self.page(server, "/api/content/history?status=approved", token: family.parent).ids.isEmpty)
            let etag = try #require(response.headers["ETag"].first)
            let again = try await server.request(
                .GET,
                "/api/content/history?status=rejected",
                token: family.parent,
                headers: [("If-None-Match", etag)]
            )
            #expect(again.status == 304)
            #expect(try await server.request(.POST, "/api/content/\(ids[1])/approve", token: family.parent).status == 200)
            let changed = try await server.request(
                .GET,
                "/api/content/history?status=rejected",
                token: family.parent,
                headers: [("If-None-Match", etag)]
            )
            #expect(changed.status == 200)
        }
    }

    @Test func theQueueComesWholeOrPageByPage() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let ids = try await Self.uploads(server, family, count: 5)
            let whole = try await Self.page(server, "/api/content/queue", token: family.parent)
            #expect(whole.ids == ids)
            #expect(whole.json["total"] as? Int == 5)
            #expect(whole.json["nextCursor"] is NSNull)
            #expect(whole.json["status"] == nil)
            var seen: [String] = []
            var path = "/api/content/queue?limit=2"
            var pages = 0
            while true {
                let page = try await Self.page(server, path, token: family.parent)
                #expect(page.json["total"] as? Int == 5)
                seen += page.ids
                pages += 1
                guard let next = page.json["nextCursor"] as? String else { break }
                path = "/api/content/queue?limit=2&cursor=\(next)"
            }
            #expect(seen == ids)
            #expect(pages == 3)
            #expect(try await Self.page(server, "/api/content/queue?cursor=4", token: family.parent).ids == [ids[4]])
        }
    }

    @Test(arguments: [
        ("/api/content/history", "status"),
        ("/api/content/history?status=pending", "status"),
        ("/api/content/history?status=APPROVED", "status"),
        ("/api/content/history?status=approved&limit=0", "limit"),
        ("/api/content/history?status=approved&limit=201", "limit"),
        ("/api/content/history?status=approved&limit=ten", "limit"),
        ("/api/content/history?status=approved&cursor=-1", "cursor"),
        ("/api/content/history?status=approved&cursor=1234567890", "cursor"),
        ("/api/content/history?status=approved&cursor=", "cursor"),
        ("/api/content/queue?limit=0", "limit"),
        ("/api/content/queue?cursor=x", "cursor"),
    ])
    func aBadPageRequestGets400NamingTheField(path: String, field: String) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let response = try await server.request(.GET, path, token: family.parent)
            #expect(response.status == 400)
            #expect(response.errorCode == "invalid_field")
            #expect(try response.json()["error"].flatMap { ($0 as? [String: Any])?["field"] as? String } == field)
        }
    }

    @Test func theHistoryIsTheParentsOnly() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            #expect(try await server.request(.GET, "/api/content/history?status=approved").status == 401)
            #expect(try await server.request(.GET, "/api/content/history?status=approved", token: family.child).status == 403)
            let other = try await server.family()
            let ids = try await Self.uploads(server, family, count: 1)
            #expect(try await server.request(.POST, "/api/content/\(ids[0])/approve", token: family.parent).status == 200)
            // Another family's parent sees their own (empty) history, never this one.
            #expect(try await Self.page(server, "/api/content/history?status=approved", token: other.parent).ids.isEmpty)
        }
    }
}
