import Testing

@testable import RedisClient

/// The cluster client's pure parts: hash slots, the slot map, redirections, the URL.
@Suite("Redis Cluster: slots, slot map, redirections, URL")
struct RedisClusterRoutingTests {
    /// The cluster specification's own examples and the hash tag's edge cases, with the slots
    /// `CLUSTER KEYSLOT` of redis-server 7.0.15 answered for them.
    @Test(arguments: [
        ("123456789", 0x31C3 % 16384),  // CRC16/XMODEM's check value
        ("foo", 12182), ("bar", 5061), ("{user1000}.following", 3443), ("{user1000}.followers", 3443), ("user1000", 3443),
        // Hash tags: an empty tag hashes the whole key; the tag ends at the first `}`.
        ("foo{}{bar}", 8363), ("foo{{bar}}zap", 4015), ("{bar", 4015), ("foo{bar}{zap}", 5061), ("{}", 15257), ("", 0), ("a{b", 13340),
        ("content:{fam-1}:abc", RedisSlot(key: "fam-1").rawValue),
    ])
    func slotsFollowTheSpecification(key: String, slot: Int) {
        #expect(RedisSlot(key: key).rawValue == slot)
    }

    @Test func slotNumbersOutsideTheClusterAreRefused() {
        #expect(RedisSlot(16384) == nil && RedisSlot(-1) == nil && RedisSlot(16383)?.rawValue == 16383)
    }

    @Test func theSlotMapIsReadFromClusterSlotsAndMovedUpdatesOneSlot() throws {
        let node = { (host: String, port: Int) -> RedisValue in
            .array([.bulkString(Array(host.utf8)), .integer(port), .bulkString(Array("id".utf8))])
        }
        let reply = RedisValue.array([
            .array([.integer(0), .integer(5460), node("127.0.0.1", 7001), node("127.0.0.1", 7004)]),
            .array([.integer(5461), .integer(10922), node("", 7002)]),
            .array([.integer(10923), .integer(16383), node("10.0.0.3", 7003)]),
        ])
        var map = try ClusterSlotMap(clusterSlots: reply, answeredBy: RedisNodeAddress(host: "127.0.0.9", port: 7002))
        #expect(map.master(of: RedisSlot(0)!) == RedisNodeAddress(host: "127.0.0.1", port: 7001))
        #expect(map.master(of: RedisSlot(5461)!) == RedisNodeAddress(host: "127.0.0.9", port: 7002), "an empty host is the node that answered")
        #expect(map.master(of: RedisSlot(16383)!) == RedisNodeAddress(host: "10.0.0.3", port: 7003))
        #expect(map.uncovered == 0)
        map.assign(100...100, to: RedisNodeAddress(host: "127.0.0.1", port: 7003))
        #expect(map.master(of: RedisSlot(100)!)?.port == 7003)
        #expect(map.master(of: RedisSlot(101)!)?.port == 7001)
        #expect(throws: RedisError.self) { try ClusterSlotMap(clusterSlots: .array([.array([.integer(0)])]), answeredBy: .init(host: "h", port: 1)) }
    }

    @Test func redirectionsAreParsed() {
        #expect(
            ClusterRedirect(errorMessage: "MOVED 3999 127.0.0.1:6381", fallbackHost: "x")
                == .moved(RedisSlot(3999)!, .init(host: "127.0.0.1", port: 6381))
        )
        #expect(
            ClusterRedirect(errorMessage: "ASK 3999 :6381", fallbackHost: "10.1.1.1") == .ask(RedisSlot(3999)!, .init(host: "10.1.1.1", port: 6381))
        )
        #expect(ClusterRedirect(errorMessage: "TRYAGAIN Multiple keys request during rehashing of slot", fallbackHost: "x") == .retryLater)
        #expect(ClusterRedirect(errorMessage: "CLUSTERDOWN The cluster is down", fallbackHost: "x") == .retryLater)
        #expect(ClusterRedirect(errorMessage: "MOVED nonsense", fallbackHost: "x") == nil)
        #expect(ClusterRedirect(errorMessage: "ERR unknown command", fallbackHost: "x") == nil)
        let queued: [RedisValue] = [.simpleString("OK"), .error("MOVED 12 127.0.0.1:7002"), .error("EXECABORT Transaction discarded")]
        #expect(ClusterRedirect.first(in: queued, fallbackHost: "x") == .moved(RedisSlot(12)!, .init(host: "127.0.0.1", port: 7002)))
        #expect(RedisError.serverReply("MOVED 12 127.0.0.1:7002").code == .serverUnavailable, "a redirection given up on is a 503")
    }

    @Test func aClusterURLNamesItsSeedsAndCredentials() throws {
        let configuration = try RedisConfiguration(url: "redis+cluster://flimmer:p%40ss@127.0.0.1:7001,node-b:7002,node-c")
        let cluster = try #require(configuration.cluster)
        #expect(cluster.seeds == [.init(host: "127.0.0.1", port: 7001), .init(host: "node-b", port: 7002), .init(host: "node-c", port: 6379)])
        #expect(configuration.username == "flimmer" && configuration.password == "p@ss")
        #expect(configuration.redactedURL == "redis+cluster://***@127.0.0.1:7001,node-b:7002,node-c:6379")
        try configuration.validate()
    }

    @Test(arguments: ["redis+cluster://", "redis+cluster://h:1/2", "redis+cluster://h:0", "redis+cluster://@/"])
    func aClusterURLWithoutSeedsOrWithADatabaseIsRefused(url: String) throws {
        let error = try #require(throws: RedisError.self) { try RedisConfiguration(url: url) }
        #expect(error.code == .invalidURL)
    }
}
