import ContentQueue
import Gateway
import RedisClient

/// Everything `flimmer-sync serve` can be told. Each default is the one in
/// ``init(host:port:redis:jwtSecret:maxBodyBytes:hub:subscriber:store:shutdownTimeout:corsAllowedOrigins:idleTimeout:backlog:metricsToken:)``;
/// ``validate()`` checks every value before the server starts.
public struct ServerConfiguration: Sendable {
    /// Address to bind.
    public var host: String
    /// Port to bind; 0 picks a free one (tests).
    public var port: Int
    /// Redis to use.
    public var redis: RedisConfiguration
    /// HS256 secret of bearer tokens, at least ``TokenAuthority/minimumSecretBytes``. No default:
    /// `serve` needs one, or `--dev`.
    public var jwtSecret: String
    /// Largest request body accepted; a larger one gets 413 without being read to the end.
    public var maxBodyBytes: Int
    /// Fan-out tuning (heartbeat, retry, frames queued per stream, re-check interval, caps).
    public var hub: EventHubConfiguration
    /// Subscription tuning (pattern, backoff, probe).
    public var subscriber: SubscriberConfiguration
    /// Transaction tuning.
    public var store: ContentQueueStore.Configuration
    /// Longest graceful shutdown: past it the remaining services are cancelled.
    public var shutdownTimeout: Duration
    /// A connection that completes no request head for this long (idle keep-alive, or a
    /// client trickling its headers, slowloris-style) is closed. Open streams are not affected:
    /// the timer does not run while a response is being written.
    public var idleTimeout: Duration
    /// Origins (`https://app.example`) whose pages may call the API from a browser.
    /// No wildcard: each origin is named.
    public var corsAllowedOrigins: [String]
    /// Connections the kernel queues before they are accepted (the kernel caps it at
    /// `net.core.somaxconn`). Long enough for thousands of streams reconnecting at once.
    public var backlog: Int
    /// The bearer token `GET /metrics` requires. Without one, `/metrics` is open to whoever
    /// reaches the port (it shows counts only, no ids; keep the port private or set a token).
    public var metricsToken: String?
    /// How long a stream ticket (`POST /api/events/ticket`) waits to open its stream: long enough
    /// for a page to connect, short enough that a ticket seen in a log is worthless. Whole
    /// seconds (a Redis TTL), 1 to 300; default 30.
    public var streamTicketLifetime: Duration = .seconds(30)

    /// The Redis connections a server lends to mutations unless told otherwise: the most in flight
    /// at once. With `appendfsync always`, Redis fsyncs once for all the transactions it received
    /// together, so more connections mean more uploads per fsync.
    public static let defaultRedisPoolSize = 64
    /// Replicas that confirm each write under Sentinel or in a cluster unless told otherwise
    /// (`store.minReplicas` stays 0 for one plain server, which has none).
    public static let defaultMinReplicasUnderSentinel = 1

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        redis: RedisConfiguration = RedisConfiguration(poolSize: defaultRedisPoolSize),
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
