import ContentQueue
import FlimmerTestSupport
import Foundation
import RedisClient
import Server
import Testing

/// A gateway on a `redis+sentinel://` URL, as the restricted ACL user, against a Sentinel group
/// of the test's own (a master, 2 replicas, 3 Sentinels): what it acknowledged survives the
/// master's crash, its streams learn of the new master, and a write the replicas did not confirm
/// answers 503 and is answered once when retried with its Idempotency-Key.
/// Serialized: each group is six processes whose Sentinels call a node down after 1 s.
@Suite("Gateway on Redis Sentinel", .serialized)
struct SentinelFailoverTests {
    /// Runs `body` with a group of its own (the repository's ACL) and a gateway on the group's
    /// Sentinels, as the ACL user `flimmer`, waiting for 1 replica (500 ms) after each write.
    private static func withGateway(_ body: @Sendable (SentinelGroup, TestServer) async throws -> Void) async throws {
        let group = try await SentinelGroup(acl: true)
        var configured = try RedisConfiguration(url: try group.url(aclUser: "flimmer"))
        configured.poolSize = 8
        let redis = configured
        try await TestServer.run(configure: {
            $0.redis = redis
            $0.store.minReplicas = 1
            $0.store.replicationTimeout = .milliseconds(500)
        }) { server in
            try await body(group, server)
        }
    }

    /// The generation (first 16 hex digits of master_replid) of the data node at `port`.
    private static func generation(_ group: SentinelGroup, _ port: Int) throws -> String {
        String(try #require(try group.info("replication", of: port)["master_replid"]).prefix(16))
    }

    /// The generation of the master the Sentinels name now. On a loaded machine they may fail
    /// over a second time (the promoted replica missed its 1 s of PINGs): the gateway follows that
    /// master too, and its streams end under its generation, not under the first one promoted.
    private static func masterGeneration(_ group: SentinelGroup) throws -> String {
        try generation(group, try group.masterPort())
    }

    /// Each running data node's role and generation, for a failure message.
    private static func nodes(_ group: SentinelGroup) -> String {
        group.dataPorts.map { port in
            let info = try? group.info("replication", of: port)
            return "\(port): \(info?["role"] ?? "down") \(info?["master_replid"]?.prefix(16) ?? "")"
        }.joined(separator: ", ")
    }

    @Test func acknowledgedUploadsSurviveACrashedMasterAndStreamsMoveToTheNewOne() async throws {
        try await Self.withGateway { group, server in
            let old = group.dataPorts[0]
            let family = try await server.family()
            let stream = try await server.openedStream(token: family.parent)
            defer { stream.close() }
            var acknowledged: [String] = []
            for index in 0..<3 { acknowledged.append(try await server.upload(token: family.child, title: "before \(index)").id) }
            let oldGeneration = try Self.generation(group, old)
            try await stream.waitUntil("version 3 of the old master") { $0.lastEventID?.hasSuffix("\(oldGeneration)-3") == true }

            try group.kill9(port: old)
            // While no master answers, the gateway is not ready (load balancers stop sending it
            // writes); open streams stay open.
            try await eventually("readiness to turn false", timeout: .seconds(5), poll: .milliseconds(50)) {
                try await server.request(.GET, "/health/ready").status == 503
            }
            let new = try await group.waitForFailover(from: old)
            // Retried with one key until the new master takes it: written once, whatever failed before.
            let key = [("Idempotency-Key", "after-failover")]
            var after: TestResponse?
            try await eventually("an upload on the new master", timeout: .seconds(20), poll: .milliseconds(200)) {
                let response = try await server.request(.POST, "/api/content/upload", token: family.child, headers: key, body: #"{"title":"after"}"#)
                guard response.status == 200 else {
                    #expect(response.status == 503, "\(response.text)")
                    return false
                }
                after = response
                return true
            }
            #expect(try after?.json()["version"] as? Int == 4)

            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent).json()
            let ids = Set((queue["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
            #expect(ids.isSuperset(of: acknowledged))
            #expect(ids.count == 4)
            let newGeneration = try Self.generation(group, new)
            #expect(newGeneration != oldGeneration)
            try await eventually(
                "version 4 under the generation of the master the Sentinels name (\(group.namedMaster); \(Self.nodes(group))); read so far:\n\(stream.rawText)",
                timeout: .seconds(20),
                poll: .milliseconds(100)
            ) {
                guard let generation = try? Self.masterGeneration(group), generation != oldGeneration else { return false }
                return stream.lastEventID?.hasSuffix("\(generation)-4") == true
            }
            // No event ever named version 4 (or more) under the old master's generation.
            #expect(!stream.events.contains { $0.id.contains(oldGeneration) && (FamilyVersion(tag: $0.id)?.version ?? 0) > 3 })
            try await eventually("readiness on the new master", timeout: .seconds(10)) {
                try await server.request(.GET, "/health/ready").status == 200
            }
        }
    }

    @Test func aWriteTheReplicasDidNotConfirmAnswers503AndItsRetryIsAnsweredOnce() async throws {
        try await Self.withGateway { group, server in
            let family = try await server.family()
            let key = [("Idempotency-Key", "unconfirmed")]
            let replicas = Array(group.dataPorts.dropFirst())
            for replica in replicas { try group.pause(port: replica) }
            let unconfirmed = try await server.request(.POST, "/api/content/upload", token: family.child, headers: key, body: #"{"title":"x"}"#)
            for replica in replicas { try group.resume(port: replica) }
            #expect(unconfirmed.status == 503)
            #expect(unconfirmed.errorCode == "replication_timeout")
            #expect(unconfirmed.headers.first(name: "retry-after") != nil)

            var replayed: TestResponse?
            try await eventually("the retry to be confirmed", timeout: .seconds(10), poll: .milliseconds(200)) {
                let response = try await server.request(.POST, "/api/content/upload", token: family.child, headers: key, body: #"{"title":"x"}"#)
                if response.status == 503 { return false }
                replayed = response
                return true
            }
            #expect(replayed?.status == 200)
            #expect(replayed?.headers.first(name: "idempotent-replayed") == "true")
            #expect(try replayed?.json()["version"] as? Int == 1)
            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent).json()
            #expect((queue["items"] as? [[String: Any]])?.count == 1)
        }
    }

    /// The lost-write case end to end: with both replicas frozen an upload commits on the master
    /// alone (503 `replication_timeout`), its event reaches the open stream, and the master dies
    /// before a replica has it. The promoted replica never held that version: the stream must be
    /// told (`reset`), and its last id must end at the new master's state, never keep the lost one.
    @Test func aVersionTheNewMasterNeverHadResetsTheStream() async throws {
        try await Self.withGateway { group, server in
            let old = group.dataPorts[0]
            let family = try await server.family()
            let stream = try await server.openedStream(token: family.parent)
            defer { stream.close() }
            _ = try await server.upload(token: family.child, title: "kept")
            let oldGeneration = try Self.generation(group, old)
            try await stream.waitUntil("version 1") { $0.lastEventID?.hasSuffix("\(oldGeneration)-1") == true }

            // The master is cut off from its replicas (frozen, their links dropped) but still takes
            // the write: what redis/ha.conf's min-replicas-max-lag allows for up to 5 s, here made
            // immediate (min-replicas-to-write 0), since a frozen replica would otherwise read the
            // write from its socket buffer once thawed.
            let replicas = Array(group.dataPorts.dropFirst())
            #expect(try group.command(["CONFIG", "SET", "min-replicas-to-write", "0"], on: old) == "OK")
            for replica in replicas { try group.pause(port: replica) }
            _ = try group.command(["CLIENT", "KILL", "TYPE", "replica"], on: old)
            let lost = try await server.request(.POST, "/api/content/upload", token: family.child, body: #"{"title":"lost"}"#)
            #expect(lost.status == 503)
            #expect(lost.errorCode == "replication_timeout")
            try await stream.waitUntil("the event of the write no replica has") { $0.lastEventID?.hasSuffix("\(oldGeneration)-2") == true }
            try group.kill9(port: old)
            for replica in replicas { try group.resume(port: replica) }
            let new = try await group.waitForFailover(from: old)
            #expect(try group.command(["GET", "contentQueue:{\(family.id)}:version"], on: new) == "1")

            let newGeneration = try Self.generation(group, new)
            try await stream.waitUntil(timeout: .seconds(15), "a reset under the new master's generation") {
                $0.events.contains { $0.type == "reset" && $0.id.contains(newGeneration) }
            }
            // The next write on the new master reuses version 2, under another generation: the
            // stream ends at exactly the queue's ETag.
            var after: TestResponse?
            try await eventually("an upload on the new master", timeout: .seconds(20), poll: .milliseconds(200)) {
                let response = try await server.request(
                    .POST,
                    "/api/content/upload",
                    token: family.child,
                    headers: [("Idempotency-Key", "after-loss")],
                    body: #"{"title":"after"}"#
                )
                guard response.status == 200 else { return false }
                after = response
                return true
            }
            #expect(try after?.json()["version"] as? Int == 2)
            let queue = try await server.request(.GET, "/api/content/queue", token: family.parent)
            let etag = try #require(queue.headers.first(name: "etag"))
            try await stream.waitUntil(timeout: .seconds(10), "the stream at the queue's ETag") { "\"\($0.lastEventID ?? "")\"" == etag }
            #expect(etag.contains(try Self.masterGeneration(group)))
            #expect((try queue.json()["items"] as? [[String: Any]])?.compactMap { $0["title"] as? String }.sorted() == ["after", "kept"])
        }
    }
}
