import FlimmerTestSupport
import RedisClient
import Testing

@Suite("RedisConnection against a real redis-server")
struct RedisConnectionTests {
    @Test func binarySafeRoundTrip() throws {
        let connection = try RedisConnection(configuration: try TestEnvironment.redisConfiguration())
        defer { connection.close() }
        let key = "test:binary:\(UInt64.random(in: 0...UInt64.max))"
        let value: [UInt8] = [0, 1, 2, 13, 10, 255, 0x7B, 0x7D, 0x2A, 0]
        #expect(try connection.send(RedisCommand("SET", key, value)) == .simpleString("OK"))
        #expect(try connection.send(RedisCommand("GET", key)) == .bulkString(value))
        #expect(try connection.send(RedisCommand("STRLEN", key)) == .integer(value.count))
        #expect(try connection.send(RedisCommand("DEL", key)) == .integer(1))
        #expect(try connection.send(RedisCommand("GET", key)) == .null)
    }

    @Test func emptyArgumentsAndArrays() throws {
        let connection = try RedisConnection(configuration: try TestEnvironment.redisConfiguration())
        defer { connection.close() }
        let key = "test:list:\(UInt64.random(in: 0...UInt64.max))"
        #expect(try connection.send(RedisCommand("RPUSH", key, "", "b", [UInt8]())) == .integer(3))
        #expect(try connection.send(RedisCommand("LRANGE", key, 0, -1)) == .array([.bulkString([]), .bulkString(Array("b".utf8)), .bulkString([])]))
        try connection.send(RedisCommand("DEL", key))
    }

    @Test func serverErrorsAreValuesNotThrows() throws {
        let connection = try RedisConnection(configuration: try TestEnvironment.redisConfiguration())
        defer { connection.close() }
        let reply = try connection.send(RedisCommand("NOSUCHCOMMAND", "x"))
        #expect(reply.errorMessage?.hasPrefix("ERR") == true)
        #expect(!connection.isBroken)
        #expect(try connection.send(RedisCommand("PING")) == .simpleString("PONG"))
        #expect(throws: RedisError.self) { try reply.throwingServerError() }
    }

    @Test func pipelineKeepsOrder() throws {
        let connection = try RedisConnection(configuration: try TestEnvironment.redisConfiguration())
        defer { connection.close() }
        let key = "test:pipe:\(UInt64.random(in: 0...UInt64.max))"
        let replies = try connection.pipeline((1...50).map { _ in RedisCommand("INCR", key) } + [RedisCommand("DEL", key)])
        #expect(replies.dropLast() == (1...50).map { RedisValue.integer($0) }[...])
        #expect(replies.last == .integer(1))
    }

    @Test func connectingToAClosedPortFailsFast() throws {
        var configuration = try TestEnvironment.redisConfiguration()
        configuration.port = 1
        let start = ContinuousClock.now
        let error = try #require(throws: RedisError.self) { try RedisConnection(configuration: configuration) }
        #expect(error.code == .connectionFailed)
        #expect(error.isUnavailable)
        #expect(ContinuousClock.now - start < .seconds(3))
    }

    @Test func wrongPasswordIsAConnectionFailureThatNamesNoSecret() throws {
        var configuration = try TestEnvironment.redisConfiguration()
        configuration.username = "nobody"
        configuration.password = "not-the-password-xyz"
        let error = try #require(throws: RedisError.self) { try RedisConnection(configuration: configuration) }
        #expect(error.code == .connectionFailed)
        #expect(!error.message.contains("not-the-password-xyz"))
    }

    @Test func readReplyTimesOutWithoutBreakingTheConnection() throws {
        let connection = try RedisConnection(configuration: try TestEnvironment.redisConfiguration())
        defer { connection.close() }
        let channel = "test:quiet:\(UInt64.random(in: 0...UInt64.max))"
        try connection.write([RedisCommand("SUBSCRIBE", channel)])
        let confirmation = try #require(try connection.readReply(timeout: .seconds(2)))
        #expect(confirmation.array?.first?.string == "subscribe")
        #expect(try connection.readReply(timeout: .milliseconds(50)) == nil)
        #expect(!connection.isBroken)
        let publisher = try RedisConnection(configuration: try TestEnvironment.redisConfiguration())
        defer { publisher.close() }
        #expect(try publisher.send(RedisCommand("PUBLISH", channel, "hello")) == .integer(1))
        let message = try #require(try connection.readReply(timeout: .seconds(2)))
        #expect(message == .array([.bulkString(Array("message".utf8)), .bulkString(Array(channel.utf8)), .bulkString(Array("hello".utf8))]))
    }

    @Test func aKilledConnectionReportsAnIOError() throws {
        let connection = try RedisConnection(configuration: try TestEnvironment.redisConfiguration())
        defer { connection.close() }
        let id = try #require(try connection.send(RedisCommand("CLIENT", "ID")).int)
        let admin = try RedisConnection(configuration: try TestEnvironment.redisConfiguration())
        defer { admin.close() }
        #expect(try admin.send(RedisCommand("CLIENT", "KILL", "ID", id)) == .integer(1))
        let error = try #require(throws: RedisError.self) { try connection.send(RedisCommand("PING")) }
        #expect(error.code == .io)
        #expect(connection.isBroken)
    }
}
