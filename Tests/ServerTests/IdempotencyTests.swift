import ContentQueue
import FlimmerTestSupport
import Foundation
import RedisClient
import Server
import Testing

/// `Idempotency-Key` on the mutating routes: a retried request is answered once, from the
/// record of its first success, and writes nothing more; the same key for another request is
/// refused; a malformed key is refused before anything is written.
@Suite("Idempotent mutations")
struct IdempotencyTests {
    @Test func aRetriedUploadIsAnsweredFromItsRecordAndWritesNothing() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let stream = try await server.openStream(token: family.parent)
            defer { stream.close() }
            try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
            let key = [("Idempotency-Key", "upload-\(UUID().uuidString)")]
            let first = try await server.request(.POST, "/api/content/upload", token: family.child, headers: key, body: #"{"title":"once"}"#)
            #expect(first.status == 200)
            #expect(first.headers.first(name: "idempotent-replayed") == nil)
            let again = try await server.request(.POST, "/api/content/upload", token: family.child, headers: key, body: #"{"title":"once"}"#)
            #expect(again.status == 200)
            #expect(again.headers.first(name: "idempotent-replayed") == "true")
            #expect(again.text == first.text)
            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent).json()
            #expect((queue["items"] as? [[String: Any]])?.count == 1)
            #expect(queue["version"] as? Int == 1)
            // One write, one event.
            let event = try await stream.nextEvent(timeout: .seconds(5))
            #expect(event.type == "invalidate")
            #expect(try await server.upload(token: family.child).version == 2)
            #expect(try await stream.nextEvent(timeout: .seconds(5)).data.contains(#""version":2"#))
        }
    }

    @Test func theSameKeyForAnotherRequestIsRefusedAndWritesNothing() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let key = [("Idempotency-Key", "k-\(UUID().uuidString)")]
            let first = try await server.request(.POST, "/api/content/upload", token: family.child, headers: key, body: #"{"title":"a"}"#)
            #expect(first.status == 200)
            let other = try await server.request(.POST, "/api/content/upload", token: family.child, headers: key, body: #"{"title":"b"}"#)
            #expect(other.status == 422)
            #expect(other.errorCode == "idempotency_key_reused")
            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent).json()
            #expect(queue["version"] as? Int == 1)
        }
    }

    /// The key is scoped to the user and the route: another user, or another route, with the
    /// same key is a request of its own.
    @Test func keysAreScopedToTheUserAndTheRoute() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let key = [("Idempotency-Key", "shared-key")]
            let upload = try await server.request(.POST, "/api/content/upload", token: family.child, headers: key, body: #"{"title":"a"}"#)
            #expect(upload.status == 200)
            let id = try #require((try upload.json()["item"] as? [String: Any])?["id"] as? String)
            let approve = try await server.request(.POST, "/api/content/\(id)/approve", token: family.parent, headers: key)
            #expect(approve.status == 200)
            #expect(approve.headers.first(name: "idempotent-replayed") == nil)
            let replay = try await server.request(.POST, "/api/content/\(id)/approve", token: family.parent, headers: key)
            #expect(replay.status == 200)
            #expect(replay.headers.first(name: "idempotent-replayed") == "true")
            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent).json()
            #expect(queue["version"] as? Int == 2)
        }
    }

    /// A backend service's invalidation, retried with its key, advances the key's version once.
    @Test func aRetriedInvalidationIsAnsweredFromItsRecord() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let service = try await server.serviceToken(family: nil)
            let key = [("Idempotency-Key", "invalidate-\(UUID().uuidString)")]
            let body = #"{"family":"\#(family)","key":"profile"}"#
            let first = try await server.request(.POST, "/api/invalidate", token: service, headers: key, body: body)
            #expect(first.status == 200, "\(first.text)")
            let again = try await server.request(.POST, "/api/invalidate", token: service, headers: key, body: body)
            #expect(again.status == 200)
            #expect(again.headers.first(name: "idempotent-replayed") == "true")
            #expect(again.text == first.text)
            try await withTestRedis { redis throws in
                #expect(try await redis.send(RedisCommand("GET", "profile:{\(family)}:version")).string == "1")
            }
        }
    }

    @Test(arguments: ["", String(repeating: "k", count: 256), "tab\there"])
    func aMalformedKeyIsRefusedBeforeAnythingIsWritten(key: String) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let response = try await server.request(
                .POST,
                "/api/content/upload",
                token: family.child,
                headers: [("Idempotency-Key", key)],
                body: #"{"title":"a"}"#
            )
            #expect(response.status == 400)
            #expect(response.errorCode == "invalid_idempotency_key")
            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent).json()
            #expect(queue["version"] as? Int == 0)
        }
    }

    /// Requests with one key racing each other: one writes, the others are answered with its
    /// result (or, when they lost the race to a record not yet there, wrote nothing).
    @Test func concurrentRequestsWithOneKeyWriteOnce() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let key = [("Idempotency-Key", "race-\(UUID().uuidString)")]
            let responses = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await server.request(.POST, "/api/content/upload", token: family.child, headers: key, body: #"{"title":"race"}"#)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(responses.allSatisfy { $0.status == 200 }, "\(responses.map(\.status))")
            #expect(Set(responses.map(\.text)).count == 1)
            #expect(responses.filter { $0.headers.first(name: "idempotent-replayed") == "true" }.count == 7)
            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent).json()
            #expect(queue["version"] as? Int == 1)
        }
    }
}
