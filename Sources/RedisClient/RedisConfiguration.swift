/// How to reach Redis and how long to wait for it. Each default is the one in
/// ``init(host:port:database:username:password:connectTimeout:commandTimeout:poolSize:poolWaitTimeout:)``.
public struct RedisConfiguration: Sendable, Equatable {
    /// Host name or address.
    public var host: String
    /// TCP port.
    public var port: Int
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
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]`.
    ///
    /// Errors never repeat the URL, since it may hold a password.
    public init(url: String) throws {
        self.init()
        let prefix = "redis://"
        guard url.hasPrefix(prefix) else {
            throw RedisError(.invalidURL, "the Redis URL must start with redis://")
        }
        var rest = Substring(url.dropFirst(prefix.count))
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = String(credentials[..<colon])
                self.username = user.isEmpty ? nil : Self.percentDecoded(user)
                self.password = Self.percentDecoded(String(credentials[credentials.index(after: colon)...]))
            } else if !credentials.isEmpty {
                // redis://secret@host is the common shorthand for a password alone.
                self.password = Self.percentDecoded(String(credentials))
            }
        }
        var hostPort = rest
        if let slash = rest.firstIndex(of: "/") {
            hostPort = rest[..<slash]
            let dbText = rest[rest.index(after: slash)...]
            if !dbText.isEmpty {
                guard let db = Int(dbText), db >= 0 else {
                    throw RedisError(.invalidURL, "the database in the Redis URL must be a number")
                }
                self.database = db
            }
        }
        if let colon = hostPort.lastIndex(of: ":") {
            guard let port = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(port) else {
                throw RedisError(.invalidURL, "the port in the Redis URL must be 1-65535")
            }
            self.port = port
            hostPort = hostPort[..<colon]
        }
        if !hostPort.isEmpty {
            self.host = String(hostPort)
        }
    }

    /// The URL without its credentials, safe for logs.
    public var redactedURL: String {
        let auth = (username != nil || password != nil) ? "***@" : ""
        return "redis://\(auth)\(host):\(port)/\(database)"
    }

    private static func percentDecoded(_ text: String) -> String {
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
