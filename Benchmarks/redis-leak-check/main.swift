// redis-leak-check: drives every path of RedisClient that allocates hiredis objects (commands
// formatted with redisFormatCommandArgv, replies built by the redisReader: statuses, errors,
// integers, nil, bulk strings up to 10 MB, arrays up to 100k elements, nested arrays, pushed
// pub/sub messages) and every way a connection ends (shutdown, CLIENT KILL mid-pipeline, a
// refused connect), several rounds over, against the redis-server at REDIS_URL. Built with
// `--sanitize=address` by scripts/leak-check, where LeakSanitizer reports at exit whatever was
// allocated and never freed. Exits 1 when a reply is wrong (a leak check on wrong behaviour
// proves nothing).
import Foundation
import Logging
import NIOConcurrencyHelpers
import RedisClient

struct CheckFailed: Error, CustomStringConvertible {
    let description: String
}

func check(_ condition: Bool, _ what: @autoclosure () -> String) throws {
    if !condition { throw CheckFailed(description: what()) }
}

let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379/0"
let rounds = Int(ProcessInfo.processInfo.environment["ROUNDS"] ?? "") ?? 3
let logger: Logger = {
    var logger = Logger(label: "redis-leak-check")
    logger.logLevel = .critical
    return logger
}()

func round(_ index: Int) async throws {
    var configuration = try RedisConfiguration(url: url)
    configuration.poolSize = 4
    let redis = RedisClient(configuration: configuration, logger: logger)
    let prefix = "leak-check:\(index):"

    // Pipelining across tasks: 8,000 commands from 200 tasks, each reply checked.
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<200 {
            group.addTask {
                for n in 0..<20 {
                    let key = "\(prefix)\(task):\(n)"
                    try check(try await redis.send(RedisCommand("SET", key, "v\(n)")) == .simpleString("OK"), "SET \(key)")
                    try check(try await redis.send(RedisCommand("GET", key)) == .bulkString(Array("v\(n)".utf8)), "GET \(key)")
                }
            }
        }
        try await group.waitForAll()
    }

    // Every reply type, one pipeline; MULTI … EXEC with a nested array; an error reply.
    let replies = try await redis.pipeline([
        RedisCommand("PING"), RedisCommand("INCR", prefix + "n"), RedisCommand("GET", prefix + "missing"),
        RedisCommand("MULTI"), RedisCommand("INCR", prefix + "n"), RedisCommand("LRANGE", prefix + "none", "0", "-1"), RedisCommand("EXEC"),
        RedisCommand("LPUSH", prefix + "0:0", "x"),
    ])
    try check(replies[0] == .simpleString("PONG") && replies[1] == .integer(1) && replies[2] == .null, "pipeline \(replies.prefix(3))")
    try check(replies[6] == .array([.integer(2), .array([])]), "EXEC \(replies[6])")
    try check(replies[7].errorMessage?.hasPrefix("WRONGTYPE") == true, "WRONGTYPE \(replies[7])")

    // Big replies: a 10 MB bulk string and a 100k-element array, read over many socket reads.
    let big = [UInt8](repeating: UInt8(ascii: "b"), count: 10 * 1024 * 1024)
    try check(
        try await redis.send(RedisCommand(arguments: [Array("SET".utf8), Array((prefix + "big").utf8), big])) == .simpleString("OK"),
        "SET big"
    )
    try check(try await redis.send(RedisCommand("GET", prefix + "big")) == .bulkString(big), "GET big")
    for chunk in stride(from: 0, to: 100_000, by: 10_000) {
        let values = (chunk..<chunk + 10_000).map { Array("\($0)".utf8) }
        _ = try await redis.send(RedisCommand(arguments: [Array("RPUSH".utf8), Array((prefix + "list").utf8)] + values))
    }
    let list = try await redis.send(RedisCommand("LRANGE", prefix + "list", "0", "-1"))
    try check(list.array?.count == 100_000 && list.array?.last == .bulkString(Array("99999".utf8)), "LRANGE 100k")

    // A leased connection (WATCH … EXEC), kept and then reused.
    for _ in 0..<10 {
        let exec = try await redis.withConnection { lease in
            _ = try await lease.send(RedisCommand("WATCH", prefix + "n"))
            return try await lease.pipeline([RedisCommand("MULTI"), RedisCommand("INCR", prefix + "n"), RedisCommand("EXEC")]).last
        }
        try check(exec?.array?.count == 1, "WATCH/EXEC \(String(describing: exec))")
    }

    // Pushed messages, then the subscription's connection killed by the server.
    let received = NIOLockedValueBox(0)
    let subscription = try await redis.subscribe(patterns: [prefix + "p:*"], channels: [prefix + "c"]) { _ in
        received.withLockedValue { $0 += 1 }
    }
    for n in 0..<1_000 { _ = try await redis.send(RedisCommand("PUBLISH", n.isMultiple(of: 2) ? prefix + "c" : prefix + "p:\(n)", "m\(n)")) }
    let deadline = ContinuousClock.now + .seconds(10)
    while received.withLockedValue({ $0 }) < 1_000, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    try check(received.withLockedValue { $0 } == 1_000, "received \(received.withLockedValue { $0 }) of 1000 messages")
    _ = try await redis.send(RedisCommand("CLIENT", "KILL", "TYPE", "pubsub"))
    await subscription.closed()

    // Connections killed with requests in flight: every pending request fails, none hangs.
    let killer = RedisClient(configuration: configuration, logger: logger)
    try await withThrowingTaskGroup(of: Bool.self) { group in
        for _ in 0..<50 {
            group.addTask { (try? await redis.send(RedisCommand("LRANGE", prefix + "list", "0", "-1"))) != nil }
        }
        group.addTask {
            _ = try await killer.send(RedisCommand("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"))
            return true
        }
        for try await _ in group {}
    }
    await killer.shutdown()
    // And the client recovers.
    try check(try await redis.send(RedisCommand("PING")) == .simpleString("PONG"), "PING after the kill")

    _ = try await redis.send(RedisCommand(arguments: [Array("DEL".utf8), Array((prefix + "big").utf8), Array((prefix + "list").utf8)]))
    await redis.shutdown()

    // A refused connect.
    var closed = configuration
    closed.port = 1
    let refused = RedisClient(configuration: closed, logger: logger)
    try check((try? await refused.send(RedisCommand("PING"))) == nil, "a connect to port 1 succeeded")
    await refused.shutdown()
}

// LEAK_CHECK_SELF_TEST=1 leaks 4 KiB on purpose: LeakSanitizer must then fail the run, which
// shows that a clean run means something.
func leakOnPurpose() {
    // Not kept anywhere (a top-level variable would be a global, still reachable at exit).
    let lost = malloc(4096)
    precondition(lost != nil)
}
if ProcessInfo.processInfo.environment["LEAK_CHECK_SELF_TEST"] == "1" { leakOnPurpose() }

do {
    for index in 0..<rounds {
        try await round(index)
        print("round \(index + 1) of \(rounds): every reply as expected")
    }
} catch {
    print("redis-leak-check: FAILED: \(error)")
    exit(1)
}
