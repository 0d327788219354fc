import RedisClient
import Testing

@Suite("Redis URL parsing")
struct RedisConfigurationTests {
    @Test func defaultsWhenOnlyTheSchemeIsGiven() throws {
        let configuration = try RedisConfiguration(url: "redis://")
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 6379)
        #expect(configuration.database == 0)
        #expect(configuration.username == nil)
        #expect(configuration.password == nil)
    }

    @Test func hostPortAndDatabase() throws {
        let configuration = try RedisConfiguration(url: "redis://redis.internal:6380/3")
        #expect(configuration.host == "redis.internal")
        #expect(configuration.port == 6380)
        #expect(configuration.database == 3)
    }

    @Test func userAndPercentEncodedPassword() throws {
        let configuration = try RedisConfiguration(url: "redis://gateway:p%40ss%3Aword@127.0.0.1:6379/0")
        #expect(configuration.username == "gateway")
        #expect(configuration.password == "p@ss:word")
        #expect(!configuration.redactedURL.contains("p@ss"))
        #expect(!configuration.redactedURL.contains("gateway"))
        #expect(configuration.redactedURL == "redis://***@127.0.0.1:6379/0")
    }

    @Test func passwordOnly() throws {
        let withColon = try RedisConfiguration(url: "redis://:secret@localhost")
        #expect(withColon.username == nil)
        #expect(withColon.password == "secret")
        let bare = try RedisConfiguration(url: "redis://secret@localhost")
        #expect(bare.password == "secret")
    }

    @Test(arguments: ["http://localhost", "redis://localhost:0", "redis://localhost:70000", "redis://localhost:abc", "redis://localhost/x"])
    func rejectsMalformedURLsWithoutEchoingThem(url: String) throws {
        let error = try #require(throws: RedisError.self) { try RedisConfiguration(url: url) }
        #expect(error.code == .invalidURL)
        #expect(!error.message.contains(url))
    }

    @Test func aSentinelURLNamesTheSentinelsTheMasterAndTheDataNodesCredentials() throws {
        let configuration = try RedisConfiguration(url: "redis+sentinel://flimmer:p%40ss@127.0.0.1:26379,sentinel-b:26380,sentinel-c/mymaster/2")
        let sentinel = try #require(configuration.sentinel)
        #expect(sentinel.masterName == "mymaster")
        #expect(
            sentinel.sentinels == [
                RedisNodeAddress(host: "127.0.0.1", port: 26379), RedisNodeAddress(host: "sentinel-b", port: 26380),
                RedisNodeAddress(host: "sentinel-c", port: 26379),
            ]
        )
        #expect(sentinel.username == nil && sentinel.password == nil, "the Sentinels' own credentials never come from the URL")
        #expect(configuration.username == "flimmer")
        #expect(configuration.password == "p@ss")
        #expect(configuration.database == 2)
        #expect(configuration.redactedURL == "redis+sentinel://***@127.0.0.1:26379,sentinel-b:26380,sentinel-c:26379/mymaster/2")
        try configuration.validate()
    }

    @Test(arguments: [
        "redis+sentinel://127.0.0.1:26379", "redis+sentinel://127.0.0.1:26379/", "redis+sentinel:///mymaster", "redis+sentinel://h:0/m",
    ])
    func aSentinelURLWithoutSentinelsOrMasterIsRefused(url: String) throws {
        let error = try #require(throws: RedisError.self) { try RedisConfiguration(url: url) }
        #expect(error.code == .invalidURL)
    }

    @Test func errorsNeverContainThePassword() throws {
        let error = try #require(throws: RedisError.self) { try RedisConfiguration(url: "redis://u:hunter2@host:99999") }
        #expect(!error.message.contains("hunter2"))
    }
}

@Suite("Error replies")
struct ErrorReplyTests {
    @Test(arguments: [
        "LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script", "MASTERDOWN Link with MASTER is down",
        "TRYAGAIN Multiple keys request during rehashing",
    ])
    func transientRepliesCountAsUnavailable(message: String) {
        let error = RedisError.serverReply(message)
        #expect(error.code == .serverUnavailable)
        #expect(error.isUnavailable)
    }

    @Test(arguments: ["WRONGTYPE Operation against a key holding the wrong kind of value", "ERR unknown command", "NOAUTH Authentication required."])
    func otherRepliesAreServerErrors(message: String) {
        let error = RedisError.serverReply(message)
        #expect(error.code == .server)
        #expect(!error.isUnavailable)
    }
}
