import ContentQueue
import FlimmerTestSupport
import Foundation
import Server
import Testing

@Suite("Stream caps and lifetime")
struct StreamLimitTests {
    @Test func aUserOverTheStreamCapGets429AndOthersDoNot() async throws {
        try await TestServer.run(configure: { $0.hub.maxStreamsPerUser = 2 }) { server in
            let family = try await server.family()
            let dad = try await family.token(user: "dad", role: .parent)
            let first = try await server.openStream(token: family.parent)
            let second = try await server.openStream(token: family.parent)
            defer { second.close() }
            #expect(first.status == 200)
            #expect(second.status == 200)
            let third = try await server.request(.GET, "/api/events", token: family.parent)
            #expect(third.status == 429)
            #expect(third.errorCode == "too_many_streams")
            #expect(third.headers.first(name: "retry-after") == "5")
            // The cap is per user: another parent of the family is not held back.
            let other = try await server.openStream(token: dad)
            defer { other.close() }
            #expect(other.status == 200)
            // A closed stream frees its place at once.
            first.close()
            try await eventually("a stream of mom's to open again", timeout: .seconds(3), poll: .milliseconds(20)) {
                let again = try await server.openStream(token: family.parent)
                again.close()
                return again.status == 200
            }
        }
    }

    @Test func theProcessCapApplies() async throws {
        try await TestServer.run(configure: { $0.hub.maxStreams = 2 }) { server in
            let streams = try await (0..<2).asyncMap { _ in
                try await server.openStream(token: try await server.family().child)
            }
            defer { for stream in streams { stream.close() } }
            #expect(streams.allSatisfy { $0.status == 200 })
            let refused = try await server.request(.GET, "/api/events", token: try await server.family().child)
            #expect(refused.status == 429)
            #expect(refused.errorCode == "too_many_streams")
        }
    }

    /// No stream outlives its token: it ends when the token stops being accepted (`exp` plus
    /// the 30 s clock skew), and the same token then gets 401, so the client must sign in again.
    @Test func aStreamEndsWhenItsTokenIsNoLongerAccepted() async throws {
        // The sweep runs every quarter of the stall limit: a short one makes it run often.
        try await TestServer.run(configure: { $0.hub.maxWriteStall = .seconds(1) }) { server in
            let family = try await server.family()
            // Expired 28 s ago: inside the skew, so accepted for about 2 s more.
            let expiring = try await family.token(user: "mom", role: .parent, ttl: -28)
            let fresh = try await family.token(user: "dad", role: .parent)
            let stream = try await server.openStream(token: expiring)
            let other = try await server.openStream(token: fresh)
            defer { other.close() }
            #expect(stream.status == 200)
            try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
            try await stream.waitUntil(timeout: .seconds(8), "the end of the stream") { $0.ended }
            #expect(stream.items.last == .comment("token expired; reconnect with a new token and Last-Event-ID"))
            #expect(try await server.request(.GET, "/api/events", token: expiring).status == 401)
            #expect(!other.ended, "a stream whose token is good goes on")
        }
    }

    @Test func aStreamEndsAtItsLifetimeAndTheClientCatchesUpOnReconnect() async throws {
        try await TestServer.run(configure: { $0.hub.maxStreamLifetime = .milliseconds(400) }) { server in
            let family = try await server.family()
            let stream = try await server.openStream(token: family.parent)
            try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
            let seen = try #require(stream.lastEventID)
            try await stream.waitUntil(timeout: .seconds(5), "the end of the stream") { $0.ended }
            #expect(stream.items.last == .comment("stream lifetime reached; reconnect with Last-Event-ID"))
            let upload = try await server.upload(token: family.child)
            let again = try await server.openStream(token: family.parent, lastEventID: seen)
            defer { again.close() }
            let event = try await again.nextEvent()
            #expect(event.isCatchUp(to: upload.version))
        }
    }
}

extension Range where Bound == Int {
    func asyncMap<T>(_ transform: (Int) async throws -> T) async throws -> [T] {
        var result: [T] = []
        for index in self { result.append(try await transform(index)) }
        return result
    }
}
