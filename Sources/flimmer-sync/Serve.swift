import ArgumentParser
import FlimmerLogging
import Foundation
import Gateway
import Logging
import RedisClient
import Server

/// `flimmer-sync serve`: runs the gateway until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway: HTTP API, SSE stream, Redis subscription.",
        discussion: """
            Environment fallbacks: FLIMMER_HOST, FLIMMER_PORT, REDIS_URL, and FLIMMER_JWT_SECRET \
            (required unless --dev). Stops gracefully on SIGTERM or SIGINT.
            """
    )

    @Option(help: "Address to bind (env FLIMMER_HOST). Default 127.0.0.1.")
    var host: String?

    @Option(help: "Port to bind (env FLIMMER_PORT). Default 8080.")
    var port: Int?

    @Option(name: .customLong("redis-url"), help: "redis://[[user]:password@]host[:port][/db] (env REDIS_URL). Default redis://127.0.0.1:6379/0.")
    var redisURL: String?

    @Option(
        name: .customLong("redis-pool-size"),
        help: "Redis connections (each on its own thread) for API requests: the most mutations in flight at once. With appendfsync always, Redis fsyncs once for all the transactions it received together, so more connections mean more uploads per fsync."
    )
    var redisPoolSize: Int = 64

    @Option(help: "Listen backlog: connections the kernel queues before they are accepted (capped by net.core.somaxconn). A reconnect storm of many clients needs it long.")
    var backlog: Int = 4096

    @Option(name: .customLong("heartbeat-seconds"), help: "Seconds between heartbeat comments on each stream.")
    var heartbeatSeconds: Int = 15

    @Option(name: .customLong("write-stall-seconds"), help: "Close a stream whose client has not read for this long; it reconnects with Last-Event-ID.")
    var writeStallSeconds: Int = 10

    @Option(name: .customLong("shutdown-timeout-seconds"), help: "Longest graceful shutdown before what remains is cancelled.")
    var shutdownTimeoutSeconds: Int = 10

    @Option(name: .customLong("max-body-bytes"), help: "Largest request body; a larger one gets 413 without being read to the end.")
    var maxBodyBytes: Int = 64 * 1024

    @Option(name: .customLong("max-streams-per-user"), help: "Open streams one user may hold; past it, 429.")
    var maxStreamsPerUser: Int = 10

    @Option(name: .customLong("max-streams"), help: "Open streams this process holds at most; past it, 429.")
    var maxStreams: Int = 100_000

    @Option(name: .customLong("max-stream-lifetime-seconds"), help: "Longest life of one stream (each gets 90-100% of it); the client then reconnects with Last-Event-ID.")
    var maxStreamLifetimeSeconds: Int = 3600

    @Option(name: .customLong("idle-timeout-seconds"), help: "Close a connection that completes no request head for this long (idle keep-alive, slowloris). Open streams are not affected.")
    var idleTimeoutSeconds: Int = 30

    @Option(
        name: .customLong("cors-origin"),
        help: "An origin whose pages may call the API from a browser, e.g. https://app.example; repeat for more (env FLIMMER_CORS_ORIGINS, comma-separated). No wildcard."
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
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be 0-65535") }
        if !(1...1024).contains(redisPoolSize) { throw ValidationError("--redis-pool-size must be 1-1024") }
        if backlog < 1 { throw ValidationError("--backlog must be at least 1") }
        if heartbeatSeconds < 1 { throw ValidationError("--heartbeat-seconds must be at least 1") }
        if writeStallSeconds < 1 { throw ValidationError("--write-stall-seconds must be at least 1") }
        if shutdownTimeoutSeconds < 1 { throw ValidationError("--shutdown-timeout-seconds must be at least 1") }
        if idleTimeoutSeconds < 1 { throw ValidationError("--idle-timeout-seconds must be at least 1") }
        if maxBodyBytes < 1024 { throw ValidationError("--max-body-bytes must be at least 1024") }
        if maxStreamsPerUser < 1 || maxStreams < 1 { throw ValidationError("--max-streams-per-user and --max-streams must be at least 1") }
        if maxStreamLifetimeSeconds < 10 { throw ValidationError("--max-stream-lifetime-seconds must be at least 10") }
        for origin in corsOrigins { try Self.checkOrigin(origin) }
        if LogFormat(rawValue: logFormat) == nil { throw ValidationError("--log-format must be one of \(LogFormat.allCases.map(\.rawValue).joined(separator: ", "))") }
        if let metricsToken, metricsToken.count < 16 || metricsToken.contains(where: \.isWhitespace) {
            throw ValidationError("--metrics-token must be at least 16 characters, without spaces")
        }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))") }
    }

    /// An origin is `scheme://host[:port]`: no wildcard, no path.
    static func checkOrigin(_ origin: String) throws {
        guard origin != "*", origin.hasPrefix("http://") || origin.hasPrefix("https://"),
            !origin.dropFirst(8).contains("/"), !origin.contains("*"), !origin.contains(where: \.isWhitespace)
        else {
            throw ValidationError("--cors-origin must be an explicit origin such as https://app.example (no wildcard, no path)")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let (jwtSecret, isDevelopment) = try secret.resolve(environment: environment)
        let port = try self.port ?? environment["FLIMMER_PORT"].map {
            guard let value = Int($0), (0...65535).contains(value) else { throw ValidationError("FLIMMER_PORT must be 0-65535") }
            return value
        } ?? 8080
        var redis = try RedisURLOption.configuration(flag: redisURL, environment: environment)
        redis.poolSize = redisPoolSize
        // The process's one bootstrap: the executable, not the library, decides how lines look.
        let format = LogFormat(rawValue: logFormat) ?? .text
        LoggingSystem.bootstrap { label in format.makeHandler(label: label) }
        var logger = Logger(label: "flimmer-sync")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        if isDevelopment {
            logger.warning("--dev: tokens are signed with the public development secret; never expose this server")
        }
        var configuration = ServerConfiguration(
            host: host ?? environment["FLIMMER_HOST"] ?? "127.0.0.1", port: port, redis: redis, jwtSecret: jwtSecret
        )
        configuration.backlog = backlog
        configuration.hub.heartbeatInterval = .seconds(heartbeatSeconds)
        configuration.hub.maxWriteStall = .seconds(writeStallSeconds)
        configuration.shutdownTimeout = .seconds(shutdownTimeoutSeconds)
        configuration.idleTimeout = .seconds(idleTimeoutSeconds)
        configuration.maxBodyBytes = maxBodyBytes
        configuration.hub.maxStreamsPerUser = maxStreamsPerUser
        configuration.hub.maxStreams = maxStreams
        configuration.hub.maxStreamLifetime = .seconds(maxStreamLifetimeSeconds)
        var origins = corsOrigins
        if origins.isEmpty, let list = environment["FLIMMER_CORS_ORIGINS"] {
            origins = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for origin in origins { try Self.checkOrigin(origin) }
        }
        configuration.corsAllowedOrigins = origins
        configuration.metricsToken = metricsToken ?? environment["FLIMMER_METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let boundHost = configuration.host
        let redactedURL = redis.redactedURL
        let startupLogger = logger
        let server = try await FlimmerSyncServer(configuration: configuration, logger: logger) { port in
            startupLogger.info("listening", metadata: ["host": "\(boundHost)", "port": "\(port)", "redis": "\(redactedURL)"])
        }
        try await server.run(logger: logger)
    }
}
