/// What a new connection says and asks before it is used.
struct RedisHandshake: Sendable {
    /// AUTH with these, when there is a password.
    var username: String?
    var password: String?
    /// SELECT this database, when not 0.
    var database = 0
    /// Ask the node what it is (`INFO replication`): its role and its replication id.
    var describeNode = false
    /// Refuse a node that says it is not a master: a client that follows a master never writes
    /// to a replica.
    var requireMaster = false

    /// The handshake of a data node as `configuration` says.
    static func dataNode(_ configuration: RedisConfiguration) -> RedisHandshake {
        RedisHandshake(
            username: configuration.username,
            password: configuration.password,
            database: configuration.database,
            describeNode: true,
            requireMaster: configuration.sentinel != nil
        )
    }

    /// The handshake of a Sentinel: its own credentials, nothing else.
    static func sentinel(_ configuration: RedisSentinelConfiguration) -> RedisHandshake {
        RedisHandshake(username: configuration.username, password: configuration.password)
    }
}
