import ContentQueue
import FlimmerTestSupport
import Foundation
import RedisClient
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `flimmer-sync watch` as a process, against the test Redis and an in-process gateway.
@Suite("flimmer-sync watch as a process")
struct WatchCommandTests {
    /// Straight from Redis as the read-only operator: one line per invalidation of the family,
    /// starting with a UTC timestamp, and nothing of another family.
    @Test func theRedisTailShowsItsFamilyOnlyWithTimestamps() async throws {
        let family = TestEnvironment.uniqueFamily("cli")
        let watch = try TestProcess(
            "flimmer-sync",
            ["watch", "--redis-url", try TestEnvironment.operatorRedisURL(), "--family", family.rawValue]
        )
        try await watch.waitForLine(containing: "watching invalidate:*", onStderr: true)
        let upload = try await withTestStore { store, redis in
            // Another family's message first: the tail must not show it.
            let other = #"{"key":"contentQueue","family":"\#(family)-other","version":9}"#
            try await redis.send(RedisCommand("PUBLISH", "invalidate:contentQueue", other))
            return try await store.upload(family: family, child: UserID("kid")!, draft: ContentDraft(title: "watched"))
        }
        let expected = "  invalidate  family=\(family) key=contentQueue version=1 reason=uploaded contentId=\(upload.item.id)"
        try await watch.waitForLine(containing: expected)
        let line = try #require(watch.stdout.split(separator: "\n").first { $0.contains(expected) })
        #expect(line.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z  invalidate  family=.*/) != nil, "\(line)")
        #expect(!watch.stdout.contains("\(family)-other"))
        watch.send(SIGINT)
        #expect(try await watch.exitStatus() == 0)
    }

    /// A refused token cannot get better by retrying: exit 1, with the gateway's error code on stderr.
    @Test func aRefusedTokenFileExits1AndSaysWhy() async throws {
        try await TestServer.run { server in
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("flimmer-token-\(UUID().uuidString)").path
            FileManager.default.createFile(atPath: path, contents: Data("not-a-token\n".utf8))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let outcome = try await TestProcess.run("flimmer-sync", ["watch", "--token-file", path, "--url", server.baseURL], timeout: .seconds(20))
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("unauthorized"))
        }
    }
}
