import FlimmerTestSupport
import Logging
import RedisClient
import Synchronization
import Testing

/// The client's slot routing against a Redis Cluster of the test's own (3 masters, 1 replica
/// each): keys reach their slot's master, and `MOVED` and `ASK` are followed while a slot moves.
@Suite("Redis Cluster: routing against live nodes", .serialized)
struct ClusterClientTests {
    private static func client(_ cluster: ClusterGroup, redirected: Redirections? = nil) throws -> RedisClient {
        var configuration = try RedisConfiguration(
            url: cluster.seedURL(user: cluster.adminCredentials.user, password: cluster.adminCredentials.password)
        )
        configuration.poolSize = 4
        return RedisClient(
            configuration: configuration,
            logger: TestEnvironment.logger,
            onRedirect: { kind in redirected?.kinds.withLock { $0.append(kind) } }
        )
    }

    /// The kinds of redirections a client reported, in order.
    final class Redirections: Sendable {
        let kinds = Mutex<[String]>([])
    }

    @Test func slotsAgreeWithClusterKeyslotAndKeysReachTheirSlotsMaster() async throws {
        let cluster = try await ClusterGroup()
        let redis = try Self.client(cluster)
        defer { Task { await redis.shutdown() } }
        for key in ["{}", "a{b", "foo{}{bar}", "foo{{bar}}zap", "{user1000}.following", "contentQueue:{fam-x}:version", "ü{ñ}"] {
            #expect(try cluster.slot(ofKey: key) == RedisSlot(key: key).rawValue, "\(key)")
        }
        var masters: Set<Int> = []
        for index in 0..<24 {
            let key = "route:{family-\(index)}:k"
            try await redis.routed(by: key).send(RedisCommand("SET", key, "v\(index)")).throwingServerError()
            let master = try cluster.masterPort(forKey: key)
            masters.insert(master)
            // Asked without following redirections: the master of the slot holds it.
            #expect(try cluster.command(["GET", key], on: master) == "v\(index)")
        }
        #expect(masters.count == 3, "24 families spread over all three masters")
    }

    @Test func movedIsFollowedAfterASlotMovedAndATransactionRunsOnTheNewOwner() async throws {
        let cluster = try await ClusterGroup()
        let redirected = Redirections()
        let redis = try Self.client(cluster, redirected: redirected)
        defer { Task { await redis.shutdown() } }
        let key = "moved:{fam-m}:version"
        let route = redis.routed(by: key)
        try await route.send(RedisCommand("SET", key, "1")).throwingServerError()
        let source = try cluster.masterPort(forKey: key)
        let target = try cluster.masterPorts().first { $0 != source }!
        try await cluster.migrate(slot: route.slot.rawValue, to: target)
        #expect(try cluster.masterPort(forKey: key) == target)
        // The client's map still names the source: it is told MOVED, and follows.
        #expect(try await route.send(RedisCommand("GET", key)).string == "1")
        let committed = try await route.withConnection { lease in
            _ = try await lease.send(RedisCommand("WATCH", key)).throwingServerError()
            let replies = try await lease.pipeline([RedisCommand("MULTI"), RedisCommand("INCR", key), RedisCommand("EXEC")])
            return replies.last?.array?.first?.int
        }
        #expect(committed == 2)
        #expect(redirected.kinds.withLock { $0 } == ["moved"], "one MOVED, then the map is right")
        #expect(try cluster.command(["GET", key], on: target) == "2")
    }

    /// WATCH on the old owner, then the slot moves, then MULTI … EXEC: the queued commands are
    /// answered MOVED and EXEC discards the transaction (nothing written), so the whole body
    /// runs again on the new owner, WATCH included.
    @Test func aTransactionWhoseSlotMovesBetweenWatchAndExecRunsAgainOnTheNewOwner() async throws {
        let cluster = try await ClusterGroup()
        let redis = try Self.client(cluster)
        defer { Task { await redis.shutdown() } }
        let key = "between:{fam-w}:version"
        let route = redis.routed(by: key)
        try await route.send(RedisCommand("SET", key, "5")).throwingServerError()
        let source = try cluster.masterPort(forKey: key)
        let target = try cluster.masterPorts().first { $0 != source }!
        let runs = Mutex(0)
        let value = try await route.withConnection { lease -> Int? in
            let run = runs.withLock { runs -> Int in
                runs += 1
                return runs
            }
            _ = try await lease.send(RedisCommand("WATCH", key)).throwingServerError()
            let read = try await lease.send(RedisCommand("GET", key)).string.flatMap { Int($0) } ?? 0
            if run == 1 { try await cluster.migrate(slot: route.slot.rawValue, to: target) }
            let replies = try await lease.pipeline([RedisCommand("MULTI"), RedisCommand("SET", key, read + 1), RedisCommand("EXEC")])
            return try replies.last?.throwingServerError().array.map { _ in read + 1 }
        }
        #expect(runs.withLock { $0 } == 2, "the first run was discarded at EXEC, the second ran on the new owner")
        #expect(value == 6)
        #expect(try cluster.command(["GET", key], on: target) == "6")
        #expect(try cluster.command(["EXISTS", key], on: source).hasPrefix("MOVED"), "nothing was left on the old owner")
    }

    @Test func askIsFollowedWhileASlotIsHalfMigratedForReadsAndTransactions() async throws {
        let cluster = try await ClusterGroup()
        let redis = try Self.client(cluster)
        defer { Task { await redis.shutdown() } }
        let moved = "ask:{fam-a}:moved"
        let stays = "ask:{fam-a}:stays"
        let route = redis.routed(by: moved)
        try await route.send(RedisCommand("SET", moved, "10")).throwingServerError()
        try await route.send(RedisCommand("SET", stays, "1")).throwingServerError()
        let source = try cluster.masterPort(forKey: moved)
        let target = try cluster.masterPorts().first { $0 != source }!
        try cluster.beginMigration(slot: route.slot.rawValue, from: source, to: target)
        let admin = cluster.adminCredentials
        let migrated = try cluster.command(
            ["MIGRATE", "127.0.0.1", "\(target)", moved, "0", "5000", "AUTH2", admin.user, admin.password],
            on: source
        )
        #expect(migrated == "OK", "only \(moved) moves for now")
        #expect(try cluster.command(["GET", moved], on: source).hasPrefix("ASK "), "the source sends the moved key on")
        // A read: ASK, then ASKING + GET on the target.
        #expect(try await route.send(RedisCommand("GET", moved)).string == "10")
        // A transaction on a key the source no longer has: WATCH is sent on with ASK, and the
        // whole body runs again on the target, each unit after ASKING.
        let value = try await route.withConnection { lease -> Int? in
            _ = try await lease.send(RedisCommand("WATCH", moved)).throwingServerError()
            let replies = try await lease.pipeline([RedisCommand("MULTI"), RedisCommand("INCR", moved), RedisCommand("EXEC")])
            // As the store does: a discarded transaction (EXECABORT) throws.
            return try replies.last?.throwingServerError().array?.first?.int
        }
        #expect(value == 11)
        // A transaction over two keys, one of them not moved yet: TRYAGAIN until the migration
        // ends (the client waits 50 ms, doubling), then MOVED to the new owner.
        let slot = route.slot.rawValue
        async let finished: Void = {
            try await Task.sleep(for: .milliseconds(200))
            _ = try cluster.moveKeys(ofSlot: slot, from: source, to: target)
            try await cluster.finishMigration(slot: slot, from: source, to: target)
        }()
        let both = try await route.withConnection { lease -> [RedisValue]? in
            let replies = try await lease.pipeline([
                RedisCommand("MULTI"), RedisCommand("INCR", moved), RedisCommand("INCR", stays), RedisCommand("EXEC"),
            ])
            return try replies.last?.throwingServerError().array
        }
        try await finished
        #expect(both?.compactMap(\.int) == [12, 2])
        #expect(try cluster.command(["GET", moved], on: target) == "12")
        #expect(try cluster.command(["GET", stays], on: target) == "2")
    }
}
