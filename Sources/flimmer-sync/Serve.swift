import ArgumentParser
import ContentQueue
import FlimmerLogging
import Foundation
import Gateway
import Logging
import RedisClient
import Server

/// `flimmer-sync serve`: runs the gateway until SIGTERM or SIGINT.
///
/// Every default and every range check lives in ``ServerConfiguration`` (and the configurations
/// it holds): a flag left out keeps the configuration's default, which the help text shows, and
/// ``validate()`` runs the configuration's own checks on what the flags made of it.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway: HTTP API, SSE stream, Redis subscription.",
        discussion: """
            Environment fallbacks: FLIMMER_HOST, FLIMMER_PORT, REDIS_URL, FLIMMER_CORS_ORIGINS, \
            FLIMMER_METRICS_TOKEN, and FLIMMER_JWT_SECRET (required unless --dev). Stops gracefully on \
            SIGTERM or SIGINT.
            """
    )

    /// The configuration's defaults, for the help texts.
    private static let defaults = ServerConfiguration(jwtSecret: "")

    @Option(help: "Address to bind (env FLIMMER_HOST). Default \(defaults.host).")
    var host: String?

    @Option(help: "Port to bind (env FLIMMER_PORT). Default \(defaults.port).")
    var port: Int?

    @Option(
        name: .customLong("redis-url"),
        help: ArgumentHelp(
            "redis://[[user]:password@]host[:port][/db], redis+sentinel://[[user]:password@]host:port[,host:port…]/master[/db] "
                + "to follow the master Sentinel names (env REDIS_URL; a Sentinel's own credentials from REDIS_SENTINEL_USERNAME "
                + "and REDIS_SENTINEL_PASSWORD), or redis+cluster://[[user]:password@]host:port[,host:port…] (seed nodes of a "
                + "Redis Cluster). Default \(RedisURLOption.defaultURL)."
        )
    )
    var redisURL: String?

    @Option(
        name: .customLong("redis-min-replicas"),
        help: ArgumentHelp(
            "Replicas that must confirm a write (WAIT after EXEC) before it is acknowledged. "
                + "Default \(ServerConfiguration.defaultMinReplicasUnderSentinel) with a redis+sentinel:// or redis+cluster:// URL, "
                + "0 otherwise."
        )
    )
    var redisMinReplicas: Int?

    @Option(
        name: .customLong("redis-pubsub"),
        help: ArgumentHelp(
            "classic: mutations PUBLISH invalidate:<key>, the gateway PSUBSCRIBEs invalidate:*; sharded: mutations SPUBLISH "
                + "invalidate:{<family>}, the gateway SSUBSCRIBEs the families it has streams for, on the node that serves each. "
                + "Default sharded with a redis+cluster:// URL, classic otherwise."
        )
    )
    var redisPubSub: InvalidationChannels?

    @Option(
        name: .customLong("redis-wait-timeout-ms"),
        help: ArgumentHelp(
            "How long a write waits for those replicas; past it the write answers 503 replication_timeout. "
                + "Default \(defaults.store.replicationTimeout.components.seconds * 1000)."
        )
    )
    var redisWaitTimeoutMilliseconds: Int?

    @Option(
        name: .customLong("redis-pool-size"),
        help: ArgumentHelp(
            "Redis connections lent to mutations (WATCH … EXEC): the most in flight at once; every other request "
                + "pipelines on one shared connection. Default \(ServerConfiguration.defaultRedisPoolSize)."
        )
    )
    var redisPoolSize: Int?

    @Option(
        help: "Listen backlog: connections the kernel queues before they are accepted (capped by net.core.somaxconn). Default \(defaults.backlog)."
    )
    var backlog: Int?

    @Option(
        name: .customLong("heartbeat-seconds"),
        help: "Seconds between heartbeat comments on each stream. Default \(defaults.hub.heartbeatInterval.components.seconds)."
    )
    var heartbeatSeconds: Int?

    @Option(
        name: .customLong("write-stall-seconds"),
        help: ArgumentHelp(
            "Close a stream whose client has not read for this long; it reconnects with Last-Event-ID. Default "
                + "\(defaults.hub.maxWriteStall.components.seconds)."
        )
    )
    var writeStallSeconds: Int?

    @Option(
        name: .customLong("shutdown-timeout-seconds"),
        help: "Longest graceful shutdown before what remains is cancelled. Default \(defaults.shutdownTimeout.components.seconds)."
    )
    var shutdownTimeoutSeconds: Int?

    @Option(
        name: .customLong("max-body-bytes"),
        help: "Largest request body; a larger one gets 413 without being read to the end. Default \(defaults.maxBodyBytes)."
    )
    var maxBodyBytes: Int?

    @Option(
        name: .customLong("max-streams-per-user"),
        help: "Open streams one user may hold; past it, 429. Default \(defaults.hub.maxStreamsPerUser)."
    )
    var maxStreamsPerUser: Int?

    @Option(name: .customLong("max-streams"), help: "Open streams this process holds at most; past it, 429. Default \(defaults.hub.maxStreams).")
    var maxStreams: Int?

    @Option(
        name: .customLong("max-stream-lifetime-seconds"),
        help: ArgumentHelp(
            "Longest life of one stream (each gets 90-100% of it); the client then reconnects with Last-Event-ID. Default "
                + "\(defaults.hub.maxStreamLifetime.components.seconds)."
        )
    )
    var maxStreamLifetimeSeconds: Int?

    @Option(
        name: .customLong("idle-timeout-seconds"),
        help: ArgumentHelp(
            "Close a connection that completes no request head for this long (idle keep-alive, slowloris). Open streams are not "
                + "affected. Default \(defaults.idleTimeout.components.seconds)."
        )
    )
    var idleTimeoutSeconds: Int?

    @Option(
        name: .customLong("cors-origin"),
        help: ArgumentHelp(
            "An origin whose pages may call the API from a browser, e.g. https://app.example; repeat for more (env "
                + "FLIMMER_CORS_ORIGINS, comma-separated). No wildcard."
        )
    )
    var corsOrigins: [String] = []

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .customLong("log-format"), help: "text (swift-log's lines), logfmt or json (one object per line).")
    var logFormat: String = "text"

    @Option(
        name: .customLong("metrics-token"),
        help: "Require this bearer token on GET /metrics (env FLIMMER_METRICS_TOKEN). Without it /metrics is open to whoever reaches the port."
    )
    var metricsToken: String?

    @OptionGroup var secret: SecretOptions

    func validate() throws {
        if LogFormat(rawValue: logFormat) == nil {
            throw ValidationError("--log-format must be one of \(LogFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        _ = try serverConfiguration(environment: ProcessInfo.processInfo.environment)
    }

    /// The flags and the environment applied to the configuration's defaults, checked by the
    /// configuration itself; a bad value is a usage error that names its flag.
    func serverConfiguration(environment: [String: String]) throws -> (configuration: ServerConfiguration, isDevelopment: Bool) {
        let (jwtSecret, isDevelopment) = try secret.resolve(environment: environment)
        var configuration = ServerConfiguration(jwtSecret: jwtSecret)
        configuration.redis = try RedisURLOption.configuration(flag: redisURL, environment: environment)
        configuration.redis.poolSize = redisPoolSize ?? ServerConfiguration.defaultRedisPoolSize
        let replicated = configuration.redis.sentinel != nil || configuration.redis.cluster != nil
        configuration.store.minReplicas = redisMinReplicas ?? (replicated ? ServerConfiguration.defaultMinReplicasUnderSentinel : 0)
        let channels = redisPubSub ?? (configuration.redis.cluster == nil ? .classic : .sharded)
        configuration.store.channels = channels
        configuration.subscriber.channels = channels
        if let redisWaitTimeoutMilliseconds { configuration.store.replicationTimeout = .milliseconds(redisWaitTimeoutMilliseconds) }
        if let host = host ?? environment["FLIMMER_HOST"] { configuration.host = host }
        if let port {
            configuration.port = port
        } else if let text = environment["FLIMMER_PORT"] {
            guard let value = Int(text) else { throw ValidationError("FLIMMER_PORT must be a number") }
            configuration.port = value
        }
        if let backlog { configuration.backlog = backlog }
        if let heartbeatSeconds { configuration.hub.heartbeatInterval = .seconds(heartbeatSeconds) }
        if let writeStallSeconds { configuration.hub.maxWriteStall = .seconds(writeStallSeconds) }
        if let shutdownTimeoutSeconds { configuration.shutdownTimeout = .seconds(shutdownTimeoutSeconds) }
        if let idleTimeoutSeconds { configuration.idleTimeout = .seconds(idleTimeoutSeconds) }
        if let maxBodyBytes { configuration.maxBodyBytes = maxBodyBytes }
        if let maxStreamsPerUser { configuration.hub.maxStreamsPerUser = maxStreamsPerUser }
        if let maxStreams { configuration.hub.maxStreams = maxStreams }
        if let maxStreamLifetimeSeconds { configuration.hub.maxStreamLifetime = .seconds(maxStreamLifetimeSeconds) }
        configuration.corsAllowedOrigins = corsOrigins
        if corsOrigins.isEmpty, let list = environment["FLIMMER_CORS_ORIGINS"] {
            configuration.corsAllowedOrigins = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        configuration.metricsToken = metricsToken ?? environment["FLIMMER_METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        do {
            try configuration.validate()
        } catch {
            throw ValidationError("\(Self.flags[error.setting] ?? error.setting) \(error.message)")
        }
        return (configuration, isDevelopment)
    }

    /// The flag (or environment variable) behind each setting, for usage errors.
    static let flags: [String: String] = [
        "port": "--port (or FLIMMER_PORT)", "redis": "the Redis configuration (--redis-url, --redis-pool-size):", "backlog": "--backlog",
        "store.minReplicas": "--redis-min-replicas", "subscriber.channels": "--redis-pubsub", "store.replicationTimeout": "--redis-wait-timeout-ms",
        "hub.heartbeatInterval": "--heartbeat-seconds", "hub.maxWriteStall": "--write-stall-seconds",
        "shutdownTimeout": "--shutdown-timeout-seconds", "idleTimeout": "--idle-timeout-seconds", "maxBodyBytes": "--max-body-bytes",
        "hub.maxStreamsPerUser": "--max-streams-per-user", "hub.maxStreams": "--max-streams",
        "hub.maxStreamLifetime": "--max-stream-lifetime-seconds", "corsAllowedOrigins": "--cors-origin (or FLIMMER_CORS_ORIGINS)",
        "metricsToken": "--metrics-token (or FLIMMER_METRICS_TOKEN)", "jwtSecret": "the JWT secret",
    ]

    func run() async throws {
        let (configuration, isDevelopment) = try serverConfiguration(environment: ProcessInfo.processInfo.environment)
        // The process's one bootstrap: the executable, not the library, decides how lines look.
        let format = LogFormat(rawValue: logFormat) ?? .text
        LoggingSystem.bootstrap { label in format.makeHandler(label: label) }
        var logger = Logger(label: "flimmer-sync")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        if isDevelopment {
            logger.warning("--dev: tokens are signed with the public development secret; never expose this server")
        }
        let boundHost = configuration.host
        let redactedURL = configuration.redis.redactedURL
        let startupLogger = logger
        let server = try await FlimmerSyncServer(configuration: configuration, logger: logger) { port in
            startupLogger.info("listening", metadata: ["host": "\(boundHost)", "port": "\(port)", "redis": "\(redactedURL)"])
        }
        try await server.run(logger: logger)
    }
}

extension InvalidationChannels: ExpressibleByArgument {}
