import ContentQueue
import FlimmerTestSupport
import Foundation
import RedisClient
import Server
import Testing

@Suite("POST /api/invalidate: any backend service invalidates a key; streams choose their keys")
struct InvalidateTests {
    @Test func aServiceInvalidatesAKeyAndTheFamilysStreamsGetIt() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let other = try await server.family()
            let service = try await server.serviceToken(family: nil)
            let stream = try await server.openStream(token: family.parent)
            defer { stream.close() }
            let otherStream = try await server.openStream(token: other.parent)
            defer { otherStream.close() }
            try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
            let recorder = try await PublishRecorder.start()
            defer { recorder.stop() }

            let first = try await server.request(
                .POST,
                "/api/invalidate",
                token: service,
                body: #"{"family":"\#(family)","key":"profile","reason":"renamed"}"#
            )
            #expect(first.status == 200, "\(first.text)")
            #expect(try first.json()["version"] as? Int == 1)
            let second = try await server.request(.POST, "/api/invalidate", token: service, body: #"{"family":"\#(family)","key":"profile"}"#)
            #expect(try second.json()["version"] as? Int == 2)

            // The version and the event come from one MULTI/EXEC: what was published is what is stored.
            let payloads = try await recorder.waitForMessages(family: family.id, count: 2).map {
                try JSONDecoder().decode(InvalidationPayload.self, from: Data($0.payload.utf8))
            }
            #expect(payloads.map(\.version) == [1, 2])
            #expect(payloads.allSatisfy { $0.key == "profile" })
            try await withTestRedis { redis throws in
                #expect(try await redis.send(RedisCommand("GET", "profile:{\(family)}:version")).string == "2")
            }

            try await stream.waitUntil("two profile events") { $0.events.filter { $0.data.contains(#""key":"profile""#) }.count == 2 }
            let event = stream.events.first { $0.data.contains(#""key":"profile""#) }
            #expect(event?.type == "invalidate")
            #expect(event?.data.contains(#""reason":"renamed""#) == true)
            try await recorder.barrier()
            #expect(!otherStream.rawText.contains("profile"))
        }
    }

    @Test func aStreamGetsOnlyTheKeysItAskedFor() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let profileOnly = try await server.openStream(token: family.parent, query: "?keys=profile")
            defer { profileOnly.close() }
            let queueOnly = try await server.openStream(token: family.parent, query: "?keys=contentQueue")
            defer { queueOnly.close() }
            let everything = try await server.openStream(token: family.parent)
            defer { everything.close() }
            for stream in [profileOnly, queueOnly, everything] {
                try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
            }
            try await server.upload(token: family.child)
            let service = try await family.serviceToken()
            #expect(
                try await server.request(.POST, "/api/invalidate", token: service, body: #"{"family":"\#(family)","key":"profile"}"#).status == 200
            )

            try await everything.waitUntil("both events") { $0.events.count == 2 }
            try await profileOnly.waitUntil("the profile event") { $0.events.count == 1 }
            try await queueOnly.waitUntil("the upload event") { $0.events.count == 1 }
            // Both events were relayed before `everything` had them; give the filtered ones as long again.
            try await Task.sleep(for: .milliseconds(100))
            #expect(profileOnly.events.map { $0.data.contains(#""key":"profile""#) } == [true])
            #expect(queueOnly.events.map { $0.data.contains(#""key":"contentQueue""#) } == [true])
        }
    }

    @Test(arguments: [
        (#"{"key":"profile"}"#, "family"),
        (#"{"family":"a b","key":"profile"}"#, "family"),
        (#"{"family":"F"}"#, "key"),
        (#"{"family":"F","key":"1profile"}"#, "key"),
        (#"{"family":"F","key":"pro:file"}"#, "key"),
        (#"{"family":"F","key":"contentQueue"}"#, "key"),
        // contentChild:{F}:version is the upload list of a child called "version".
        (#"{"family":"F","key":"contentChild"}"#, "key"),
        (#"{"family":"F","key":"epoch"}"#, "key"),
        (#"{"family":"F","key":"profile","reason":"has space"}"#, "reason"),
        (#"{"family":"F","key":"profile","reason":7}"#, "reason"),
        (#"{"family":"F","key":"profile","extra":1}"#, "extra"),
    ])
    func badBodiesAre400AndChangeNothing(template: String, field: String) async throws {
        try await TestRouter.run(redis: .test) { router in
            let family = TestEnvironment.uniqueFamily()
            let body = template.replacingOccurrences(of: #""family":"F""#, with: #""family":"\#(family)""#)
            let service = try await router.serviceToken(family: nil)
            let response = try await expectingNoChange(to: family) {
                try await router.request(.POST, "/api/invalidate", token: service, body: body)
            }
            #expect(response.status == 400, "\(response.text)")
            let error = try response.json()["error"] as? [String: Any]
            #expect(error?["field"] as? String == field, "\(response.text)")
        }
    }

    @Test func onlyServiceTokensForTheFamilyMayInvalidate() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let other = TestEnvironment.uniqueFamily()
            let body = #"{"family":"\#(family)","key":"profile"}"#
            #expect(try await server.request(.POST, "/api/invalidate", body: body).status == 401)
            for role in [Role.parent, .child] {
                let response = try await server.request(.POST, "/api/invalidate", token: try await family.token(user: "u", role: role), body: body)
                #expect(response.status == 403)
                #expect(response.errorCode == "forbidden")
            }
            let scopedElsewhere = try await server.serviceToken(family: other)
            #expect(try await server.request(.POST, "/api/invalidate", token: scopedElsewhere, body: body).status == 403)
            let scoped = try await family.serviceToken()
            #expect(try await server.request(.POST, "/api/invalidate", token: scoped, body: body).status == 200)
            // A service token opens nothing else.
            let service = try await server.serviceToken(family: nil)
            #expect(try await server.request(.GET, "/api/content/queue", token: service).status == 403)
            #expect(try await server.request(.GET, "/api/events", token: service).status == 403)
        }
    }

    @Test(arguments: ["", "profile,,x", "pro:file", "1abc"])
    func aStreamWithBadKeysIs400(keys: String) async throws {
        try await TestServer.run { server in
            let parent = try await server.family().parent
            let response = try await server.request(.GET, "/api/events?keys=\(keys)", token: parent)
            #expect(response.status == 400)
            let error = try response.json()["error"] as? [String: Any]
            #expect(error?["field"] as? String == "keys")
            #expect(server.server.hub.streamCount == 0)
        }
    }
}
