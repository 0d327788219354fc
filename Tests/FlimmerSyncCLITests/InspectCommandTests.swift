import ContentQueue
import FlimmerTestSupport
import Foundation
import Testing

@testable import flimmer_sync

/// `flimmer-sync inspect --json` run in-process as Redis's read-only operator user
/// (redis/users.acl), which is all it needs.
@Suite("Command line: inspect")
struct InspectCommandTests {
    /// What `inspect --family F --json --redis-url <operator>` prints, decoded.
    static func inspect(_ family: FamilyID) async throws -> [String: Any] {
        let operatorURL = try TestEnvironment.operatorRedisURL()
        let command = try #require(
            try FlimmerSync.parseAsRoot(["inspect", "--family", family.rawValue, "--json", "--redis-url", operatorURL]) as? Inspect
        )
        #expect(command.json)
        let inspection = try await Inspect.read(family: family, from: try RedisURLOption.configuration(flag: command.redisURL))
        let printed = try Inspect.json(inspection)
        return try #require(try JSONSerialization.jsonObject(with: Data(printed.utf8)) as? [String: Any])
    }

    @Test func anUnknownFamilyIsEmptyAtVersionZero() async throws {
        let json = try await Self.inspect(TestEnvironment.uniqueFamily("cli"))
        #expect(json["version"] as? Int == 0)
        #expect((json["pending"] as? [Any])?.isEmpty == true)
    }

    /// A service's invalidation of another key shows next to the queue's version.
    @Test func everyKeysVersionIsShownTheInvalidatedOneIncluded() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            try await server.upload(token: family.child, title: "one")
            try await server.upload(token: family.child, title: "two")
            let invalidated = try await server.request(
                .POST,
                "/api/invalidate",
                token: try await family.serviceToken(),
                body: #"{"family":"\#(family)","key":"profile","reason":"renamed"}"#
            )
            #expect(invalidated.status == 200, "\(invalidated.text)")
            let json = try await Self.inspect(family.id)
            #expect(json["versions"] as? [String: Int] == ["contentQueue": 2, "profile": 1])
            #expect((json["pending"] as? [Any])?.count == 2)
        }
    }
}
