import FlimmerTestSupport
import RedisClient
import Testing

@Suite("RedisClient against a real redis-server")
struct RedisClientTests {
    static func key(_ name: String) -> String { "test:\(name):\(UInt64.random(in: 0...UInt64.max))" }

    @Test func binarySafeRoundTrip() async throws {
        try await withTestRedis { redis throws in
            let key = Self.key("binary")
            let value: [UInt8] = [0, 1, 2, 13, 10, 255, 0x7B, 0x7D, 0x2A, 0]
            #expect(try await redis.send(RedisCommand("SET", key, value)) == .simpleString("OK"))
            #expect(try await redis.send(RedisCommand("GET", key)) == .bulkString(value))
            #expect(try await redis.send(RedisCommand("STRLEN", key)) == .integer(value.count))
            #expect(try await redis.send(RedisCommand("DEL", key)) == .integer(1))
            #expect(try await redis.send(RedisCommand("GET", key)) == .null)
        }
    }

    @Test func emptyArgumentsAndArrays() async throws {
        try await withTestRedis { redis throws in
            let key = Self.key("list")
            #expect(try await redis.send(RedisCommand("RPUSH", key, "", "b", [UInt8]())) == .integer(3))
            #expect(
                try await redis.send(RedisCommand("LRANGE", key, 0, -1)) == .array([.bulkString([]), .bulkString(Array("b".utf8)), .bulkString([])])
            )
            try await redis.send(RedisCommand("DEL", key))
        }
    }

    @Test func serverErrorsAreValuesNotThrows() async throws {
        try await withTestRedis { redis throws in
            let reply = try await redis.send(RedisCommand("NOSUCHCOMMAND", "x"))
            #expect(reply.errorMessage?.hasPrefix("ERR") == true)
            #expect(try await redis.send(RedisCommand("PING")) == .simpleString("PONG"))
            #expect(throws: RedisError.self) { try reply.throwingServerError() }
            #expect(redis.connectionsMade == 1, "an error reply does not break the connection")
        }
    }

    @Test func aPipelineKeepsItsOrder() async throws {
        try await withTestRedis { redis throws in
            let key = Self.key("pipe")
            let replies = try await redis.pipeline((1...50).map { _ in RedisCommand("INCR", key) } + [RedisCommand("DEL", key)])
            #expect(replies.dropLast() == (1...50).map { RedisValue.integer($0) }[...])
            #expect(replies.last == .integer(1))
        }
    }

    /// Thousands of commands from many tasks at once share one connection; each caller gets its
    /// own replies, in its own order.
    @Test func concurrentCallersEachGetTheirOwnReplies() async throws {
        try await withTestRedis { redis throws in
            let tasks = 64
            let perTask = 100
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<tasks {
                    group.addTask {
                        for round in 0..<perTask {
                            let token = "\(task)-\(round)-\(UInt64.random(in: 0...UInt64.max))"
                            if round % 3 == 0 {
                                let replies = try await redis.pipeline([RedisCommand("ECHO", token), RedisCommand("ECHO", token + "!")])
                                #expect(replies == [.bulkString(Array(token.utf8)), .bulkString(Array((token + "!").utf8))])
                            } else {
                                #expect(try await redis.send(RedisCommand("ECHO", token)) == .bulkString(Array(token.utf8)))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(redis.connectionsMade == 1, "every request pipelined on the one shared connection")
        }
    }

    /// MULTI … EXEC blocks sent by many tasks at once on the shared connection never interleave:
    /// each EXEC answers exactly its own block's commands.
    @Test func transactionBlocksNeverInterleave() async throws {
        try await withTestRedis { redis throws in
            let prefix = Self.key("multi")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<32 {
                    group.addTask {
                        for round in 0..<20 {
                            let key = "\(prefix):\(task)"
                            let value = "\(task)-\(round)"
                            let replies = try await redis.pipeline([
                                RedisCommand("MULTI"), RedisCommand("SET", key, value), RedisCommand("GET", key),
                                RedisCommand("INCR", "\(key):n"), RedisCommand("EXEC"),
                            ])
                            #expect(replies[0] == .simpleString("OK"))
                            #expect(replies[1...3].allSatisfy { $0 == .simpleString("QUEUED") })
                            #expect(replies[4] == .array([.simpleString("OK"), .bulkString(Array(value.utf8)), .integer(round + 1)]))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func bigRepliesArriveWhole() async throws {
        try await withTestRedis { redis throws in
            let key = Self.key("big")
            let blob = (0..<10_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            #expect(try await redis.send(RedisCommand("SET", key, blob)) == .simpleString("OK"))
            #expect(try await redis.send(RedisCommand("GET", key)) == .bulkString(blob))
            let list = Self.key("long")
            for start in stride(from: 0, to: 100_000, by: 10_000) {
                try await redis.send(RedisCommand("RPUSH", [list] + (start..<start + 10_000).map { String($0) }))
            }
            let elements = try #require(try await redis.send(RedisCommand("LRANGE", list, 0, -1)).array)
            #expect(elements.count == 100_000)
            #expect(elements.first?.string == "0" && elements.last?.string == "99999")
            _ = try await redis.pipeline([RedisCommand("DEL", key), RedisCommand("DEL", list)])
        }
    }
}
