extension RedisConfiguration {
    /// Parses `redis://[[user]:password@]host[:port][/db]` (one server),
    /// `redis+sentinel://[[user]:password@]host:port[,host:port…]/master[/db]` (the master the
    /// Sentinels name; the credentials are the data nodes'), or
    /// `redis+cluster://[[user]:password@]host:port[,host:port…]` (seed nodes of a Redis
    /// Cluster). The Sentinels' own credentials, if they need any, are not part of the URL: see
    /// ``RedisSentinelConfiguration``.
    ///
    /// Errors never repeat the URL, since it may hold a password.
    public init(url: String) throws {
        self.init()
        let isSentinel = url.hasPrefix("redis+sentinel://")
        let isCluster = url.hasPrefix("redis+cluster://")
        guard isSentinel || isCluster || url.hasPrefix("redis://") else {
            throw RedisError(.invalidURL, "the Redis URL must start with redis://, redis+sentinel:// or redis+cluster://")
        }
        var rest = Substring(url.drop { $0 != "/" }.dropFirst(2))
        if let at = rest.lastIndex(of: "@") {
            (username, password) = Self.credentials(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let hosts = rest[..<slash]
        var path = rest[slash...].dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if isSentinel {
            guard let name = path.first, !name.isEmpty else {
                throw RedisError(.invalidURL, "a redis+sentinel URL names its master after the hosts: …/MASTER_NAME[/DB]")
            }
            path.removeFirst()
            let sentinels = try hosts.split(separator: ",").map { try Self.address(String($0), defaultPort: 26379) }
            guard !sentinels.isEmpty else { throw RedisError(.invalidURL, "a redis+sentinel URL names at least one Sentinel") }
            sentinel = RedisSentinelConfiguration(sentinels: sentinels, masterName: String(name))
        } else if isCluster {
            guard path.allSatisfy(\.isEmpty) else {
                throw RedisError(.invalidURL, "a redis+cluster URL has no path: a cluster has only database 0")
            }
            let seeds = try hosts.split(separator: ",").map { try Self.address(String($0), defaultPort: 6379) }
            guard !seeds.isEmpty else { throw RedisError(.invalidURL, "a redis+cluster URL names at least one node") }
            cluster = RedisClusterConfiguration(seeds: seeds)
            (host, port) = (seeds[0].host, seeds[0].port)
        } else if !hosts.isEmpty {
            let address = try Self.address(String(hosts), defaultPort: 6379)
            (host, port) = (address.host, address.port)
        }
        if let databaseText = path.first, !databaseText.isEmpty {
            guard path.count == 1, let database = Int(databaseText), database >= 0 else {
                throw RedisError(.invalidURL, "the database in the Redis URL must be a number")
            }
            self.database = database
        }
    }

    /// The URL without its credentials, safe for logs.
    public var redactedURL: String {
        let auth = (username != nil || password != nil) ? "***@" : ""
        if let cluster { return "redis+cluster://\(auth)\(cluster.seeds.map(\.description).joined(separator: ","))" }
        guard let sentinel else { return "redis://\(auth)\(host):\(port)/\(database)" }
        let hosts = sentinel.sentinels.map(\.description).joined(separator: ",")
        return "redis+sentinel://\(auth)\(hosts)/\(sentinel.masterName)/\(database)"
    }

    /// `user:password`, `:password` or a password alone (the common shorthand).
    private static func credentials(_ text: Substring) -> (username: String?, password: String?) {
        guard let colon = text.firstIndex(of: ":") else { return (nil, text.isEmpty ? nil : percentDecoded(text)) }
        let user = text[..<colon]
        return (user.isEmpty ? nil : percentDecoded(user), percentDecoded(text[text.index(after: colon)...]))
    }

    /// `host[:port]`.
    private static func address(_ text: String, defaultPort: Int) throws -> RedisNodeAddress {
        guard let colon = text.lastIndex(of: ":") else {
            guard !text.isEmpty else { throw RedisError(.invalidURL, "a host in the Redis URL is empty") }
            return RedisNodeAddress(host: text, port: defaultPort)
        }
        guard let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            throw RedisError(.invalidURL, "the port in the Redis URL must be 1-65535")
        }
        let host = String(text[..<colon])
        return RedisNodeAddress(host: host.isEmpty ? "127.0.0.1" : host, port: port)
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
