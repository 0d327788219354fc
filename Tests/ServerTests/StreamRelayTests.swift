import ContentQueue
import FlimmerTestSupport
import Foundation
import Server
import Testing

@Suite("SSE relay through a live server")
struct StreamRelayTests {
    @Test func anUploadReachesTheParentsOpenStreamAndTheQueueShowsIt() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let stream = try await server.openStream(token: family.parent)
            defer { stream.close() }
            #expect(stream.status == 200)
            #expect(stream.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
            #expect(stream.headers.first(name: "cache-control") == "no-cache")
            #expect(stream.headers.first(name: "x-accel-buffering") == "no")
            #expect(stream.headers.first(name: "connection") == "close")
            try await stream.waitUntil("the opening frames") { $0.lastEventID != nil }
            #expect(stream.rawText.hasPrefix("retry: "))

            let upload = try await server.upload(token: family.child, title: "Skateboard trick")
            let event = try await stream.nextEvent()
            #expect(event.type == "invalidate")
            let payload = try JSONDecoder().decode(InvalidationPayload.self, from: Data(event.data.utf8))
            #expect(payload.key == "contentQueue")
            #expect(payload.family == family.id.rawValue)
            #expect(payload.version == upload.version)
            #expect(payload.reason == "uploaded")
            #expect(payload.contentId == upload.id)
            let id = try #require(FamilyVersion(tag: event.id))
            #expect(id.epoch == payload.epoch && id.version == upload.version && id.generation != nil)

            // The client's reaction: refetch the queue, which now has the item at that version.
            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent)
            #expect(queue.status == 200)
            let json = try queue.json()
            #expect(json["version"] as? Int == upload.version)
            #expect((json["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [upload.id])
            #expect(queue.headers.first(name: "etag") == "\"\(event.id)\"")
        }
    }

    @Test func approvalAndRejectionAreRelayedToParentAndChild() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let first = try await server.upload(token: family.child, title: "one")
            let second = try await server.upload(token: family.child, title: "two")
            let childStream = try await server.openStream(token: family.child)
            defer { childStream.close() }
            try await childStream.waitUntil("the opening frames") { $0.lastEventID != nil }
            let opening = childStream.lastEventID
            #expect(try await server.request(.POST, "/api/content/\(first.id)/approve", token: family.parent).status == 200)
            let reject = try await server.request(.POST, "/api/content/\(second.id)/reject", token: family.parent, body: #"{"reason":"not now"}"#)
            #expect(reject.status == 200)
            #expect((try reject.json()["item"] as? [String: Any])?["rejectReason"] as? String == "not now")
            // The uploads' own events may still come first, under the opening id.
            let approved = try await childStream.nextEvent(skippingID: opening)
            let rejected = try await childStream.nextEvent()
            #expect(approved.data.contains(#""reason":"approved""#))
            #expect(approved.data.contains(#""version":3"#))
            #expect(rejected.data.contains(#""reason":"rejected""#))
            #expect(rejected.data.contains(#""version":4"#))
        }
    }

    @Test func lastEventIDBehindGetsOneInvalidateAtOnce() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let first = try await server.openStream(token: family.parent)
            try await first.waitUntil("the opening id") { $0.lastEventID != nil }
            let seen = try #require(first.lastEventID)
            first.close()
            // Missed while away:
            try await server.upload(token: family.child)
            let last = try await server.upload(token: family.child)

            let again = try await server.openStream(token: family.parent, lastEventID: seen)
            defer { again.close() }
            let event = try await again.nextEvent()
            #expect(event.type == "invalidate")
            #expect(event.data.contains(#""version":\#(last.version)"#))
            #expect(event.isCatchUp(to: last.version))

            // The same through the query parameter, for clients that cannot set headers.
            let viaQuery = try await server.openStream(token: nil, query: "?access_token=\(family.parent)&lastEventId=\(seen)")
            defer { viaQuery.close() }
            #expect(try await viaQuery.nextEvent().data.contains(#""reason":"catchup""#))
        }
    }

    @Test func upToDateLastEventIDGetsNoEvent() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            try await server.upload(token: family.child)
            let first = try await server.openStream(token: family.parent)
            try await first.waitUntil("the opening id") { $0.lastEventID != nil }
            let seen = try #require(first.lastEventID)
            first.close()
            let again = try await server.openStream(token: family.parent, lastEventID: seen)
            defer { again.close() }
            try await again.waitUntil("the opening id") { $0.lastEventID == seen }
            // A later upload is the first event this stream sees: nothing was sent for catch-up.
            let next = try await server.upload(token: family.child)
            let event = try await again.nextEvent()
            #expect(event.data.contains(#""version":\#(next.version)"#))
            #expect(event.data.contains(#""reason":"uploaded""#))
        }
    }

    @Test(arguments: ["0000000000000000-1", "not-an-id", "garbage"])
    func lastEventIDFromAnotherEpochOrUnparseableGetsReset(lastEventID: String) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let stream = try await server.openStream(token: family.parent, lastEventID: lastEventID)
            defer { stream.close() }
            let event = try await stream.nextEvent()
            #expect(event.type == "reset")
            #expect(event.data.contains(#""family":"\#(family.id.rawValue)""#))
        }
    }

    @Test func streamsOfAnotherFamilyHearNothing() async throws {
        try await TestServer.run(configure: { $0.hub.heartbeatInterval = .milliseconds(300) }) { server in
            let familyA = try await server.family()
            let familyB = try await server.family()
            let streamA = try await server.openStream(token: familyA.parent)
            let streamB = try await server.openStream(token: familyB.parent)
            defer {
                streamA.close()
                streamB.close()
            }
            try await streamB.waitUntil("B's opening id") { $0.lastEventID != nil }
            for _ in 0..<5 { try await server.upload(token: familyA.child) }
            for _ in 0..<5 { _ = try await streamA.nextEvent() }
            // A heartbeat sent after A's events went out proves B's stream was served since.
            let heartbeatsBefore = streamB.items.filter { $0 == .comment("heartbeat") }.count
            try await streamB.waitUntil("a heartbeat on B") { $0.items.filter { $0 == .comment("heartbeat") }.count > heartbeatsBefore }
            #expect(streamB.events.isEmpty)
            #expect(!streamB.rawText.contains(familyA.id.rawValue))
        }
    }

    @Test func heartbeatsAreSentAtTheConfiguredInterval() async throws {
        try await TestServer.run(configure: { $0.hub.heartbeatInterval = .milliseconds(100) }) { server in
            let family = try await server.family()
            let stream = try await server.openStream(token: family.child)
            defer { stream.close() }
            try await stream.waitUntil(timeout: .seconds(3), "two heartbeats") { $0.items.filter { $0 == .comment("heartbeat") }.count >= 2 }
        }
    }

    @Test func aClientThatLeavesIsReleasedAtOnce() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let baseline = server.server.hub.streamCount
            let stream = try await server.openStream(token: family.parent)
            try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
            #expect(server.server.hub.streamCount == baseline + 1)
            stream.close()
            // Well under the 15 s heartbeat: the departure is noticed on the inbound side.
            try await eventually("the stream to be released", timeout: .seconds(3)) { server.server.hub.streamCount == baseline }
        }
    }

    @Test func gracefulShutdownEndsStreamsWithALastComment() async throws {
        let stream = try await TestServer.run { server in
            let family = try await server.family()
            let stream = try await server.openStream(token: family.parent)
            try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
            return stream
        }
        try await stream.waitUntil("the end of the stream") { $0.ended }
        #expect(stream.items.last == .comment("server shutting down; reconnect with Last-Event-ID"))
    }

    @Test func theStreamRequiresATokenOfTheFamily() async throws {
        try await TestServer.run { server in
            let missing = try await server.request(.GET, "/api/events")
            #expect(missing.status == 401)
            #expect(missing.errorCode == "unauthorized")
            let bad = try await server.request(.GET, "/api/events?access_token=abc.def.ghi")
            #expect(bad.status == 401)
        }
    }
}

@Suite("Several gateways on one Redis")
struct MultiGatewayTests {
    @Test func anUploadThroughOneGatewayReachesAStreamOnAnother() async throws {
        try await TestServer.run { gatewayA in
            try await TestServer.run { gatewayB in
                let family = try await gatewayB.family()
                let stream = try await gatewayB.openStream(token: family.parent)
                defer { stream.close() }
                try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
                let upload = try await gatewayA.upload(token: family.child)
                let event = try await stream.nextEvent()
                #expect(event.data.contains(#""contentId":"\#(upload.id)""#))
                #expect(event.id.hasSuffix("-\(upload.version)"))
            }
        }
    }
}
