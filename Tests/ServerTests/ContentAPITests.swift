import ContentQueue
import FlimmerTestSupport
import Foundation
import RedisClient
import Server
import Testing

@Suite("Content API")
struct ContentAPITests {
    @Test func uploadReturnsThePendingItemAndTheNewVersion() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let body =
                #"{"title":"  Lego castle  ","description":"line one\nline two","durationSeconds":93.5,"videoUrl":"https://cdn.example/v/1.mp4"}"#
            let response = try await server.request(.POST, "/api/content/upload", token: family.child, body: body)
            #expect(response.status == 200)
            let json = try response.json()
            #expect(json["version"] as? Int == 1)
            let item = try #require(json["item"] as? [String: Any])
            #expect(item["title"] as? String == "Lego castle")
            #expect(item["description"] as? String == "line one\nline two")
            #expect(item["durationSeconds"] as? Double == 93.5)
            #expect(item["videoUrl"] as? String == "https://cdn.example/v/1.mp4")
            #expect(item["status"] as? String == "pending")
            #expect(item["family"] as? String == family.id.rawValue)
            #expect(item["childId"] as? String == "kid")
            #expect(item["decidedAt"] is NSNull)
        }
    }

    @Test func theFamilyComesFromTheTokenNeverFromTheBody() async throws {
        try await TestRouter.run(redis: .test) { server in
            let family = try await server.family()
            let other = TestEnvironment.uniqueFamily()
            let response = try await server.request(
                .POST,
                "/api/content/upload",
                token: family.child,
                body: #"{"title":"x","family":"\#(other.rawValue)"}"#
            )
            // Unknown fields are refused outright, so a smuggled family never reaches the store.
            #expect(response.status == 400)
            #expect(response.errorCode == "unknown_field")
            try await withTestRedis { redis throws in
                #expect(try await RedisSnapshot.take(redis, family: other).entries.isEmpty)
            }
        }
    }

    @Test func queueETagAnswers304WhenUnchanged() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            try await server.upload(token: family.child)
            let first = try await server.request(.GET, "/api/content/queue", token: family.parent)
            let etag = try #require(first.headers.first(name: "etag"))
            let unchanged = try await server.request(.GET, "/api/content/queue", token: family.parent, headers: [("If-None-Match", etag)])
            #expect(unchanged.status == 304)
            #expect(unchanged.body.isEmpty)
            #expect(unchanged.headers.first(name: "etag") == etag)
            let weakList = try await server.request(
                .GET,
                "/api/content/queue",
                token: family.parent,
                headers: [("If-None-Match", "\"other\", W/\(etag)")]
            )
            #expect(weakList.status == 304)
            try await server.upload(token: family.child)
            let changed = try await server.request(.GET, "/api/content/queue", token: family.parent, headers: [("If-None-Match", etag)])
            #expect(changed.status == 200)
            #expect(changed.headers.first(name: "etag") != etag)
            #expect((try changed.json()["items"] as? [Any])?.count == 2)
        }
    }

    @Test func aChildSeesItsOwnItemsNewestFirstWithStatusesAndETag() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let sibling = try await family.token(user: "sis", role: .child)
            let first = try await server.upload(token: family.child, title: "first")
            let second = try await server.upload(token: family.child, title: "second")
            _ = try await server.upload(token: sibling, title: "not yours")
            #expect(
                try await server.request(.POST, "/api/content/\(first.id)/reject", token: family.parent, body: #"{"reason":"too long"}"#).status
                    == 200
            )

            let mine = try await server.request(.GET, "/api/content/mine", token: family.child)
            #expect(mine.status == 200, "\(mine.text)")
            let json = try mine.json()
            let items = try #require(json["items"] as? [[String: Any]])
            #expect(items.map { $0["id"] as? String } == [second.id, first.id])
            #expect(items.map { $0["status"] as? String } == ["pending", "rejected"])
            #expect(items[1]["rejectReason"] as? String == "too long")
            #expect(json["total"] as? Int == 2)
            #expect(json["version"] as? Int == 4)
            let etag = try #require(mine.headers.first(name: "etag"))
            let tag = try #require(FamilyVersion(tag: String(etag.dropFirst().dropLast())))
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))
            #expect(tag.epoch == json["epoch"] as? String && tag.version == 4 && tag.generation != nil)

            let limited = try await server.request(.GET, "/api/content/mine?limit=1", token: family.child)
            #expect((try limited.json()["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [second.id])
            #expect(try limited.json()["total"] as? Int == 2)

            let unchanged = try await server.request(.GET, "/api/content/mine", token: family.child, headers: [("If-None-Match", etag)])
            #expect(unchanged.status == 304)
            #expect(unchanged.body.isEmpty)
            // A decision on the child's item is a family mutation, so the tag moves and the new status shows.
            #expect(try await server.request(.POST, "/api/content/\(second.id)/approve", token: family.parent).status == 200)
            let changed = try await server.request(.GET, "/api/content/mine", token: family.child, headers: [("If-None-Match", etag)])
            #expect(changed.status == 200)
            #expect((try changed.json()["items"] as? [[String: Any]])?.first?["status"] as? String == "approved")

            let theirs = try await server.request(.GET, "/api/content/mine", token: sibling)
            #expect((try theirs.json()["items"] as? [[String: Any]])?.map { $0["title"] as? String } == ["not yours"])
        }
    }

    @Test func itemIsVisibleToItsFamilysParentAndToTheChildWhoUploadedIt() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let sibling = try await family.token(user: "sister", role: .child)
            let upload = try await server.upload(token: family.child, title: "mine")
            for token in [family.parent, family.child] {
                let response = try await server.request(.GET, "/api/content/\(upload.id)", token: token)
                #expect(response.status == 200)
                #expect((try response.json()["item"] as? [String: Any])?["title"] as? String == "mine")
            }
            let hidden = try await server.request(.GET, "/api/content/\(upload.id)", token: sibling)
            #expect(hidden.status == 404)
            #expect(hidden.errorCode == "not_found")
        }
    }

    @Test func anotherFamilysItemAnswers404ForEveryRoute() async throws {
        try await TestServer.run { server in
            let familyA = try await server.family()
            let familyB = try await server.family()
            let (parentB, childB) = (familyB.parent, familyB.child)
            let upload = try await server.upload(token: familyA.child)
            try await withTestRedis { redis in
                let before = try await RedisSnapshot.take(redis, family: familyA.id)
                let attempts: [(String, String, String)] = [
                    ("GET", "/api/content/\(upload.id)", parentB),
                    ("GET", "/api/content/\(upload.id)", childB),
                    ("POST", "/api/content/\(upload.id)/approve", parentB),
                    ("POST", "/api/content/\(upload.id)/reject", parentB),
                ]
                for (method, path, token) in attempts {
                    let response = try await server.request(method == "GET" ? .GET : .POST, path, token: token)
                    #expect(response.status == 404, "\(method) \(path)")
                    #expect(response.errorCode == "not_found")
                }
                let queueB = try await server.request(.GET, "/api/content/queue", token: parentB)
                #expect((try queueB.json()["items"] as? [Any])?.isEmpty == true)
                #expect(try await RedisSnapshot.take(redis, family: familyA.id) == before)
            }
        }
    }

    @Test func ofTwentyConcurrentApprovalsExactlyOneSucceeds() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let upload = try await server.upload(token: family.child)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let action = index.isMultiple(of: 2) ? "approve" : "reject"
                        return try await server.request(.POST, "/api/content/\(upload.id)/\(action)", token: family.parent).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 19)
            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent)
            #expect(try queue.json()["version"] as? Int == 2)
        }
    }
}
