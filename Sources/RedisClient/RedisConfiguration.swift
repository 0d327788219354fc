/// How to reach Redis and how long to wait for it. Each default is the one in
/// ``init(host:port:database:username:password:connectTimeout:commandTimeout:poolSize:poolWaitTimeout:)``.
public struct RedisConfiguration: Sendable, Equatable {
    /// Host name or address of the one server, when there are no ``sentinel``s to ask.
    public var host: String
    /// TCP port of the one server, when there are no ``sentinel``s to ask.
    public var port: Int
    /// Sentinels that name the master (`redis+sentinel://`); nil for one server at ``host``:``port``.
    /// The data nodes' credentials are ``username`` and ``password`` either way.
    public var sentinel: RedisSentinelConfiguration?
    /// Seed nodes of a Redis Cluster (`redis+cluster://`); the rest are discovered. Nil for one
    /// server or Sentinel.
    public var cluster: RedisClusterConfiguration?
    /// Logical database selected after connecting.
    public var database: Int
    /// ACL user name, sent with AUTH when set.
    public var username: String?
    /// Password, sent with AUTH when set. Never logged.
    public var password: String?
    /// Longest wait for a TCP connect.
    public var connectTimeout: Duration
    /// Longest wait for one command's reply; past it the call fails with ``RedisError/Code/timeout``.
    public var commandTimeout: Duration
    /// Connections lent to callers for optimistic transactions (WATCH … EXEC): the most such
    /// transactions in flight at once. Every other command pipelines on one shared connection.
    public var poolSize: Int
    /// How long a caller waits for a connection of its own when all ``poolSize`` are lent; past it
    /// the call fails with ``RedisError/Code/busy``.
    public var poolWaitTimeout: Duration

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        database: Int = 0,
        username: String? = nil,
        password: String? = nil,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(2),
        poolSize: Int = 8,
        poolWaitTimeout: Duration = .seconds(5)
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.poolSize = poolSize
        self.poolWaitTimeout = poolWaitTimeout
        self.sentinel = nil
        self.cluster = nil
    }

    /// Throws ``RedisError/Code/invalidConfiguration`` for a value that cannot work.
    public func validate() throws {
        guard (1...65535).contains(port) else { throw RedisError(.invalidConfiguration, "port must be 1-65535") }
        guard database >= 0 else { throw RedisError(.invalidConfiguration, "database must be at least 0") }
        guard connectTimeout > .zero, commandTimeout > .zero else {
            throw RedisError(.invalidConfiguration, "connectTimeout and commandTimeout must be positive")
        }
        guard (1...1024).contains(poolSize) else { throw RedisError(.invalidConfiguration, "poolSize must be 1-1024") }
        guard poolWaitTimeout > .zero else { throw RedisError(.invalidConfiguration, "poolWaitTimeout must be positive") }
        if let cluster {
            guard sentinel == nil else { throw RedisError(.invalidConfiguration, "a cluster has no Sentinels") }
            guard !cluster.seeds.isEmpty else { throw RedisError(.invalidConfiguration, "at least one cluster seed node is needed") }
            guard database == 0 else { throw RedisError(.invalidConfiguration, "a cluster has only database 0") }
        }
        if let sentinel {
            guard !sentinel.sentinels.isEmpty else { throw RedisError(.invalidConfiguration, "at least one Sentinel is needed") }
            guard !sentinel.masterName.isEmpty else { throw RedisError(.invalidConfiguration, "the master's name is needed") }
        }
    }
}
