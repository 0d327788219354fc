/// Where the Sentinels are and which master they watch, for a client that follows the master
/// they name (`redis+sentinel://` URLs).
public struct RedisSentinelConfiguration: Sendable, Equatable {
    /// The Sentinels, asked in turn; the one that answered last is asked first next time.
    public var sentinels: [RedisNodeAddress]
    /// The master's name in the Sentinels' configuration (`sentinel monitor <name> …`).
    public var masterName: String
    /// The Sentinels' own ACL user, if they require one (not the data nodes' user).
    public var username: String?
    /// The Sentinels' own password, if they require one. Never logged.
    public var password: String?

    public init(sentinels: [RedisNodeAddress], masterName: String, username: String? = nil, password: String? = nil) {
        self.sentinels = sentinels
        self.masterName = masterName
        self.username = username
        self.password = password
    }
}
