import ContentQueue
import Gateway
import RedisClient

/// Everything `flimmer-sync serve` can be told.
public struct ServerConfiguration: Sendable {
    /// Address to bind. Default `127.0.0.1`.
    public var host: String
    /// Port to bind; 0 picks a free one (tests). Default 8080.
    public var port: Int
    /// Redis to use. Default `redis://127.0.0.1:6379/0`.
    public var redis: RedisConfiguration
    /// HS256 secret of bearer tokens. No default: `serve` needs one, or `--dev`.
    public var jwtSecret: String
    /// Largest request body accepted. Default 64 KiB.
    public var maxBodyBytes: Int
    /// Fan-out tuning (heartbeat, retry, mailbox size, re-check interval).
    public var hub: EventHubConfiguration
    /// Subscription tuning (pattern, backoff).
    public var subscriber: SubscriberConfiguration
    /// Transaction tuning.
    public var store: ContentQueueStore.Configuration
    /// Longest graceful shutdown: past it the remaining services are cancelled. Default 10 s.
    public var shutdownTimeout: Duration
    /// A connection that completes no request head for this long (idle keep-alive, or a
    /// client trickling its headers, slowloris-style) is closed. Open streams are not affected:
    /// the timer does not run while a response is being written. Default 30 s.
    public var idleTimeout: Duration
    /// Origins (`https://app.example`) whose pages may call the API from a browser. Default none.
    /// No wildcard: each origin is named.
    public var corsAllowedOrigins: [String]
    /// Connections the kernel queues before they are accepted (the kernel caps it at
    /// `net.core.somaxconn`). Long enough for thousands of streams reconnecting at once. Default 4096.
    public var backlog: Int
    /// The bearer token `GET /metrics` requires. Default none: `/metrics` is open to whoever
    /// reaches the port (it shows counts only, no ids; keep the port private or set a token).
    public var metricsToken: String?

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        redis: RedisConfiguration = .init(),
        jwtSecret: String,
        maxBodyBytes: Int = 64 * 1024,
        hub: EventHubConfiguration = .init(),
        subscriber: SubscriberConfiguration = .init(),
        store: ContentQueueStore.Configuration = .init(),
        shutdownTimeout: Duration = .seconds(10),
        corsAllowedOrigins: [String] = [],
        idleTimeout: Duration = .seconds(30),
        backlog: Int = 4096,
        metricsToken: String? = nil
    ) {
        self.host = host
        self.port = port
        self.redis = redis
        self.jwtSecret = jwtSecret
        self.maxBodyBytes = maxBodyBytes
        self.hub = hub
        self.subscriber = subscriber
        self.store = store
        self.shutdownTimeout = shutdownTimeout
        self.corsAllowedOrigins = corsAllowedOrigins
        self.idleTimeout = idleTimeout
        self.backlog = backlog
        self.metricsToken = metricsToken
    }
}
