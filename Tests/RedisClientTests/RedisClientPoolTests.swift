import FlimmerTestSupport
import Foundation
import RedisClient
import Testing

/// Counts calls from any thread.
final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    var value: Int { lock.withLock { count } }

    func increment() { lock.withLock { count += 1 } }
}

@Suite("RedisClient pool")
struct RedisClientPoolTests {
    @Test func reusesConnections() async throws {
        try await withTestRedis { client throws in
            for _ in 0..<20 { #expect(try await client.send(RedisCommand("PING")) == .simpleString("PONG")) }
            #expect(client.connectionsMade == 1)
        }
    }

    @Test func concurrentCallsUseAtMostThePoolSize() async throws {
        var configuration = try TestEnvironment.redisConfiguration()
        configuration.poolSize = 4
        try await withTestRedis(configuration: configuration) { client in
            let key = "test:pool:\(UInt64.random(in: 0...UInt64.max))"
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<200 { group.addTask { try await client.send(RedisCommand("INCR", key)) } }
                try await group.waitForAll()
            }
            #expect(try await client.send(RedisCommand("GET", key)).int == 200)
            #expect(client.connectionsMade <= 4)
            try await client.send(RedisCommand("DEL", key))
        }
    }

    /// A pooled connection that the server closed while idle is retried once on a new
    /// connection, since no reply was read and so nothing ran.
    @Test func retriesOnceWhenAnIdleConnectionWasClosedByTheServer() async throws {
        var configuration = try TestEnvironment.redisConfiguration()
        configuration.poolSize = 1
        try await withTestRedis(configuration: configuration) { client in
            let id = try #require(try await client.send(RedisCommand("CLIENT", "ID")).int)
            try await withTestRedis { admin throws in
                #expect(try await admin.send(RedisCommand("CLIENT", "KILL", "ID", id)) == .integer(1))
            }
            #expect(try await client.send(RedisCommand("PING")) == .simpleString("PONG"))
            #expect(client.connectionsMade == 2)
        }
    }

    /// When the failure comes after a reply was read, the body may have had effects: no retry.
    @Test func doesNotRetryAfterAReplyWasRead() async throws {
        var configuration = try TestEnvironment.redisConfiguration()
        configuration.poolSize = 1
        let fixed = configuration
        try await withTestRedis(configuration: fixed) { client in
            let key = "test:noretry:\(UInt64.random(in: 0...UInt64.max))"
            let id = try #require(try await client.send(RedisCommand("CLIENT", "ID")).int)
            await #expect(throws: RedisError.self) {
                try await client.withConnection { connection in
                    try connection.send(RedisCommand("INCR", key))
                    let admin = try RedisConnection(configuration: fixed)
                    defer { admin.close() }
                    try admin.send(RedisCommand("CLIENT", "KILL", "ID", id))
                    try connection.send(RedisCommand("INCR", key))
                }
            }
            #expect(try await client.send(RedisCommand("GET", key)).int == 1)
            try await client.send(RedisCommand("DEL", key))
        }
    }

    /// The `flimmer_redis_reconnects_total{connection="pool"}` source: a connection lost to an
    /// I/O error and replaced counts once, whether it was retried at once or replaced by the next
    /// call; connections the pool merely grows by do not count.
    @Test func countsConnectionsReplacedAfterAnIOErrorAsReconnects() async throws {
        var configuration = try TestEnvironment.redisConfiguration()
        configuration.poolSize = 1
        let fixed = configuration
        let calls = CallCounter()
        try await withTestRedis(configuration: fixed, onReconnect: { calls.increment() }) { client in
            let first = try #require(try await client.send(RedisCommand("CLIENT", "ID")).int)
            #expect(client.reconnects == 0)

            // Killed while idle: the next call retries on a new connection.
            try await withTestRedis { admin throws in
                #expect(try await admin.send(RedisCommand("CLIENT", "KILL", "ID", first)) == .integer(1))
            }
            let second = try #require(try await client.send(RedisCommand("CLIENT", "ID")).int)
            #expect(client.reconnects == 1)
            #expect(calls.value == 1)

            // Killed after a reply was read: that call fails, the next one gets a new connection.
            await #expect(throws: RedisError.self) {
                try await client.withConnection { connection in
                    try connection.send(RedisCommand("PING"))
                    let killer = try RedisConnection(configuration: fixed)
                    defer { killer.close() }
                    try killer.send(RedisCommand("CLIENT", "KILL", "ID", second))
                    try connection.send(RedisCommand("PING"))
                }
            }
            #expect(try await client.send(RedisCommand("PING")) == .simpleString("PONG"))
            #expect(client.reconnects == 2)
            #expect(calls.value == 2)
            #expect(client.connectionsMade == 3)
        }
    }

    @Test func unreachableRedisFailsFastAsUnavailable() async throws {
        var configuration = try TestEnvironment.redisConfiguration()
        configuration.port = 1
        try await withTestRedis(configuration: configuration) { client in
            let start = ContinuousClock.now
            let error = try await #require(throws: RedisError.self) { try await client.send(RedisCommand("PING")) }
            #expect(error.isUnavailable)
            #expect(ContinuousClock.now - start < .seconds(3))
        }
    }

    /// Shuts the client down itself: what is tested is the client after its own shutdown.
    @Test func callsAfterShutdownFail() async throws {
        let client = RedisClient(configuration: try TestEnvironment.redisConfiguration(), logger: TestEnvironment.logger)
        await client.shutdown()
        let error = try await #require(throws: RedisError.self) { try await client.send(RedisCommand("PING")) }
        #expect(error.code == .shutdown)
    }
}
