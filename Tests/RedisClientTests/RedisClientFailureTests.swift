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

@Suite("RedisClient when connections fail")
struct RedisClientFailureTests {
    @Test func connectingToAClosedPortFailsFastAsUnavailable() async throws {
        var configuration = try TestEnvironment.redisConfiguration()
        configuration.port = 1
        try await withTestRedis(configuration: configuration) { redis throws in
            let start = ContinuousClock.now
            let error = try await #require(throws: RedisError.self) { try await redis.send(RedisCommand("PING")) }
            #expect(error.code == .connectionFailed)
            #expect(error.isUnavailable)
            // Refused, not timed out: fast is what the kernel's refusal makes it. (Wall-clock
            // bounds tighter than this one failed on a starved CI machine at 3-5 s.)
            #expect(!error.message.lowercased().contains("timeout"), "\(error.message)")
            // Within the backoff after a refused connect, calls fail at once, with the same error.
            let second = try await #require(throws: RedisError.self) { try await redis.send(RedisCommand("PING")) }
            #expect(second.message == error.message)
            #expect(redis.connectionsMade == 0)
            #expect(ContinuousClock.now - start < .seconds(10))
        }
    }

    @Test func aWrongPasswordIsAConnectionFailureThatNamesNoSecret() async throws {
        var configuration = try TestEnvironment.redisConfiguration()
        configuration.username = "nobody"
        configuration.password = "not-the-password-xyz"
        try await withTestRedis(configuration: configuration) { redis throws in
            let error = try await #require(throws: RedisError.self) { try await redis.send(RedisCommand("PING")) }
            #expect(error.code == .connectionFailed)
            #expect(!error.message.contains("not-the-password-xyz"))
            #expect(!"\(error)".contains("not-the-password-xyz"))
        }
    }

    /// The server closed the shared connection while it was idle: the next call goes out on a
    /// new one, and the replacement counts as one reconnect.
    @Test func aConnectionTheServerClosedIsReplacedAndCounted() async throws {
        let reconnects = CallCounter()
        try await withTestRedis(onReconnect: { reconnects.increment() }) { redis in
            let id = try #require(try await redis.send(RedisCommand("CLIENT", "ID")).int)
            try await withTestRedis { admin throws in
                #expect(try await admin.send(RedisCommand("CLIENT", "KILL", "ID", id)) == .integer(1))
            }
            try await eventually("the next call to succeed on a new connection") {
                (try? await redis.send(RedisCommand("PING"))) == .simpleString("PONG")
            }
            #expect(redis.connectionsMade == 2)
            #expect(redis.reconnects == 1)
            #expect(reconnects.value == 1)
        }
    }

    /// WATCH holds on the lent connection only: a write from elsewhere between WATCH and EXEC
    /// makes EXEC answer null, and nothing of the transaction is written.
    @Test func watchHoldsOnTheLentConnection() async throws {
        try await withTestRedis { redis throws in
            let key = RedisClientTests.key("watch")
            let exec = try await redis.withConnection { lease in
                _ = try await lease.pipeline([RedisCommand("WATCH", key), RedisCommand("GET", key)])
                try await redis.send(RedisCommand("SET", key, "from-elsewhere"))
                return try await lease.pipeline([RedisCommand("MULTI"), RedisCommand("SET", key, "mine"), RedisCommand("EXEC")]).last
            }
            #expect(exec == .null)
            #expect(try await redis.send(RedisCommand("GET", key)).string == "from-elsewhere")
            try await redis.send(RedisCommand("DEL", key))
        }
    }

    /// With every lendable connection in use, a caller waits at most the pool's wait timeout and
    /// then gets `busy`, which counts as unavailable (503).
    @Test func anExhaustedPoolAnswersBusy() async throws {
        var configuration = try TestEnvironment.redisConfiguration()
        configuration.poolSize = 1
        configuration.poolWaitTimeout = .milliseconds(300)
        try await withTestRedis(configuration: configuration) { redis throws in
            let holding = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await redis.withConnection { _ in
                    holding.continuation.yield()
                    for await _ in release.stream { break }
                }
            }
            for await _ in holding.stream { break }
            let start = ContinuousClock.now
            let error = try await #require(throws: RedisError.self) { try await redis.withConnection { try await $0.send(RedisCommand("PING")) } }
            #expect(error.code == .busy)
            #expect(error.isUnavailable)
            #expect(ContinuousClock.now - start < .seconds(2))
            release.continuation.yield()
            try await holder.value
            #expect(try await redis.withConnection { try await $0.send(RedisCommand("PING")) } == .simpleString("PONG"))
        }
    }

    /// Redis killed while requests wait: every one of them fails as unavailable, none hangs,
    /// and once Redis is back the client works again on new connections.
    @Test func redisKilledMidPipelineFailsEveryPendingRequestAndRecovers() async throws {
        let server = try RedisProcess(persistent: false)
        try await withTestRedis(configuration: server.configuration) { redis throws in
            #expect(try await redis.send(RedisCommand("PING")) == .simpleString("PONG"))
            server.pause()
            let pending = (0..<100).map { index in
                Task { try await redis.send(RedisCommand("ECHO", "\(index)")) }
            }
            try await Task.sleep(for: .milliseconds(100))
            server.kill9()
            for request in pending {
                let error = try await #require(throws: RedisError.self) { try await request.value }
                #expect(error.isUnavailable, "\(error)")
            }
            try server.start()
            try await eventually("the client to work again", timeout: .seconds(10)) {
                (try? await redis.send(RedisCommand("PING"))) == .simpleString("PONG")
            }
        }
    }

    /// A frozen Redis (SIGSTOP) answers nothing: the call fails with a timeout after the command
    /// timeout, and works again once Redis runs.
    @Test func aFrozenRedisTimesOutAndTheClientRecovers() async throws {
        let server = try RedisProcess(persistent: false)
        try await withTestRedis(configuration: server.configuration) { redis throws in
            #expect(try await redis.send(RedisCommand("PING")) == .simpleString("PONG"))
            server.pause()
            let start = ContinuousClock.now
            let error = try await #require(throws: RedisError.self) { try await redis.send(RedisCommand("PING")) }
            server.resume()
            #expect(error.code == .timeout)
            #expect(ContinuousClock.now - start < .seconds(3))
            try await eventually("the client to work again") {
                (try? await redis.send(RedisCommand("PING"))) == .simpleString("PONG")
            }
        }
    }

    /// Shuts the client down itself: what is tested is the client after its own shutdown.
    @Test func callsAfterShutdownFail() async throws {
        let redis = RedisClient(configuration: try TestEnvironment.redisConfiguration(), logger: TestEnvironment.logger)
        #expect(try await redis.send(RedisCommand("PING")) == .simpleString("PONG"))
        await redis.shutdown()
        let error = try await #require(throws: RedisError.self) { try await redis.send(RedisCommand("PING")) }
        #expect(error.code == .shutdown)
    }
}
