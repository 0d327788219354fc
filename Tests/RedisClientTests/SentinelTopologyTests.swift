import FlimmerTestSupport
import Foundation
import NIOConcurrencyHelpers
import RedisClient
import Testing

/// RedisClient on a `redis+sentinel://` URL against a real Sentinel group of the test's own:
/// it finds the master by asking the Sentinels, follows a failover (a crash, or a switch
/// announced by `+switch-master`), and leaves nothing connected to the master it left.
/// Serialized: each group is six processes whose Sentinels call a node down after 1 s.
@Suite("RedisClient on Redis Sentinel", .serialized)
struct SentinelTopologyTests {
    private static func configuration(_ group: SentinelGroup, aclUser: String? = nil) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: aclUser.map { try group.url(aclUser: $0) } ?? group.url(user: nil, password: nil))
        configuration.sentinel?.username = group.sentinelCredentials?.user
        configuration.sentinel?.password = group.sentinelCredentials?.password
        return configuration
    }

    /// A Sentinel listed first that does not run is skipped; the next one names the master.
    @Test func theMasterIsFoundThroughTheSentinelsThatAnswer() async throws {
        let group = try await SentinelGroup(replicas: 1, sentinels: 2)
        var configuration = try Self.configuration(group)
        let dead = try RedisProcess.freePort()
        configuration.sentinel?.sentinels.insert(RedisNodeAddress(host: "127.0.0.1", port: dead), at: 0)
        try await withTestRedis(configuration: configuration) { redis throws in
            let key = RedisClientTests.key("found")
            #expect(try await redis.send(RedisCommand("SET", key, "1")) == .simpleString("OK"))
            #expect(try group.command(["GET", key], on: try group.masterPort()) == "1")
            #expect(redis.masterChanges == 0)
        }
    }

    /// The master is killed: requests fail for the seconds of the failover, then go to the
    /// replica the Sentinels promoted, and the first write there lands on it. The old master,
    /// restarted, believes it is the master until the Sentinels demote it: the client never
    /// connects to it.
    @Test func aCrashedMasterIsReplacedByThePromotedReplica() async throws {
        let group = try await SentinelGroup(acl: true)
        try await withTestRedis(configuration: try Self.configuration(group, aclUser: "flimmer")) { redis throws in
            let key = "epoch:{\(RedisClientTests.key("crash"))}"
            #expect(try await redis.send(RedisCommand("SET", key, "before")) == .simpleString("OK"))
            #expect(try await redis.send(RedisCommand("WAIT", "2", "5000")).int == 2)
            let old = group.dataPorts[0]
            try group.kill9(port: old)
            let new = try await group.waitForFailover(from: old)
            try await eventually("a write to succeed on the new master", timeout: .seconds(15)) {
                (try? await redis.send(RedisCommand("SET", key, "after"))) == .simpleString("OK")
            }
            #expect(try group.command(["GET", key], on: new) == "after")
            #expect(redis.masterChanges == 1)

            try group.restart(port: old)
            #expect(try group.role(of: old) == "master")
            let connectionsBefore = redis.connectionsMade
            for index in 0..<20 {
                let reply = try await redis.send(RedisCommand("SET", key, "\(index)"))
                #expect(
                    reply == .simpleString("OK"),
                    "SET \(index): \(reply); the Sentinels name \(group.namedMaster)"
                )
                try await Task.sleep(for: .milliseconds(50))
            }
            let ours = try group.command(["CLIENT", "LIST"], on: old).split(whereSeparator: \.isNewline).filter { $0.contains(" user=flimmer ") }
            #expect(ours.isEmpty, "\(ours)")
            let last = try group.command(["GET", key], on: new)
            #expect(last == "19", "GET on \(new): \(last); the Sentinels name \(group.namedMaster)")
            #expect(redis.connectionsMade == connectionsBefore)
        }
    }

    /// A failover without a crash (SENTINEL FAILOVER): the old master is alive and would still
    /// answer reads, but the client moves as soon as a Sentinel announces `+switch-master`,
    /// without a request failing first, and closes every connection it had to the old master,
    /// the subscriber's among them.
    @Test func aSwitchAnnouncedByASentinelMovesTheClientAndClosesTheOldConnections() async throws {
        let group = try await SentinelGroup(acl: true)
        let old = group.dataPorts[0]
        let changes = NIOLockedValueBox<[RedisNodeAddress]>([])
        var configuration = try Self.configuration(group, aclUser: "flimmer")
        configuration.poolSize = 2
        try await withTestRedis(configuration: configuration, onMasterChange: { address in changes.withLockedValue { $0.append(address) } }) {
            redis throws in
            let channel = "invalidate:" + RedisClientTests.key("switch")
            let subscription = try await redis.subscribe(channels: [channel]) { _ in }
            #expect(try await redis.send(RedisCommand("PING")) == .simpleString("PONG"))
            try await redis.withConnection { lease in _ = try await lease.send(RedisCommand("PING")) }
            let ours = {
                try group.command(["CLIENT", "LIST"], on: old).split(whereSeparator: \.isNewline).filter { $0.contains(" user=flimmer ") }.count
            }
            #expect(try ours() == 3)

            #expect(try group.command(["SENTINEL", "FAILOVER", group.masterName], on: group.sentinelPorts[0]) == "OK")
            let new = try await group.waitForFailover(from: old)
            try await eventually("the client to follow +switch-master", timeout: .seconds(10)) { redis.masterChanges == 1 }
            #expect(changes.withLockedValue { $0 } == [RedisNodeAddress(host: "127.0.0.1", port: new)])
            try await eventually("no connection of ours left on the old master", timeout: .seconds(5)) { (try? ours()) == 0 }
            await subscription.closed()
            #expect(!subscription.isActive)
            // A key the gateway's ACL user may write (epoch:*), on the new master.
            let key = "epoch:{\(RedisClientTests.key("moved"))}"
            #expect(try await redis.send(RedisCommand("SET", key, "1")) == .simpleString("OK"))
            #expect(try group.command(["GET", key], on: new) == "1")
        }
    }

    /// No Sentinel answers: the client says so at once, naming what it tried.
    @Test func withoutAnySentinelRequestsFailAsUnavailable() async throws {
        let port = try RedisProcess.freePort()
        let configuration = try RedisConfiguration(url: "redis+sentinel://127.0.0.1:\(port)/nobody")
        try await withTestRedis(configuration: configuration) { redis throws in
            let start = ContinuousClock.now
            let error = try await #require(throws: RedisError.self) { try await redis.send(RedisCommand("PING")) }
            #expect(error.isUnavailable)
            #expect(error.message.contains("127.0.0.1:\(port)"))
            #expect(ContinuousClock.now - start < .seconds(3))
        }
    }

    /// The Sentinels know no master of that name: unavailable, with the reason.
    @Test func anUnknownMasterNameIsReported() async throws {
        let group = try await SentinelGroup(replicas: 1, sentinels: 1)
        var configuration = try Self.configuration(group)
        configuration.sentinel?.masterName = "not-\(group.masterName)"
        try await withTestRedis(configuration: configuration) { redis throws in
            let error = try await #require(throws: RedisError.self) { try await redis.send(RedisCommand("PING")) }
            #expect(error.isUnavailable)
            #expect(error.message.contains("not-\(group.masterName)"))
        }
    }
}
