import Gateway
import RedisClient
import Server
import Testing

/// The configuration checks itself: every value that cannot work is refused with the setting's
/// name, before a server is built; what `serve` refuses comes from here.
@Suite("Server configuration validates itself")
struct ServerConfigurationTests {
    static let secret = String(repeating: "s", count: 32)

    @Test func theDefaultsAreValid() throws {
        try ServerConfiguration(jwtSecret: Self.secret).validate()
    }

    @Test(
        arguments: [
            ("port", { @Sendable (c: inout ServerConfiguration) in c.port = 70_000 }),
            ("jwtSecret", { c in c.jwtSecret = "short" }),
            ("maxBodyBytes", { c in c.maxBodyBytes = 10 }),
            ("backlog", { c in c.backlog = 0 }),
            ("store.maxAttempts", { c in c.store.maxAttempts = 0 }),
            ("shutdownTimeout", { c in c.shutdownTimeout = .zero }),
            ("idleTimeout", { c in c.idleTimeout = .seconds(-1) }),
            ("corsAllowedOrigins", { c in c.corsAllowedOrigins = ["*"] }),
            ("corsAllowedOrigins", { c in c.corsAllowedOrigins = ["https://app.example/path"] }),
            ("metricsToken", { c in c.metricsToken = "short" }),
            ("streamTicketLifetime", { c in c.streamTicketLifetime = .zero }),
            ("streamTicketLifetime", { c in c.streamTicketLifetime = .milliseconds(1500) }),
            ("streamTicketLifetime", { c in c.streamTicketLifetime = .seconds(301) }),
            ("redis", { c in c.redis.poolSize = 0 }),
            ("redis", { c in c.redis.port = 0 }),
            ("hub.heartbeatInterval", { c in c.hub.heartbeatInterval = .zero }),
            ("hub.maxQueuedFrames", { c in c.hub.maxQueuedFrames = 0 }),
            ("hub.maxStreamsPerUser", { c in c.hub.maxStreamsPerUser = 0 }),
            ("hub.maxStreams", { c in c.hub.maxStreams = 0 }),
            ("hub.maxStreamLifetime", { c in c.hub.maxStreamLifetime = .zero }),
            ("hub.maxWriteStall", { c in c.hub.maxWriteStall = .zero }),
            ("subscriber.pattern", { c in c.subscriber.pattern = "other:*" }),
            ("subscriber.initialBackoff", { c in c.subscriber.initialBackoff = .seconds(10) }),
        ] as [(String, @Sendable (inout ServerConfiguration) -> Void)]
    )
    func aValueThatCannotWorkIsRefusedByName(setting: String, change: @Sendable (inout ServerConfiguration) -> Void) {
        var configuration = ServerConfiguration(jwtSecret: Self.secret)
        change(&configuration)
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        do {
            try configuration.validate()
        } catch {
            #expect(error.setting == setting)
            #expect(error.code == "invalid_configuration")
            #expect(!error.message.contains(Self.secret))
        }
    }

    /// A library user who builds a server directly gets the same checks as the command line.
    @Test func aServerIsNotBuiltFromAnInvalidConfiguration() async throws {
        var configuration = ServerConfiguration(jwtSecret: Self.secret)
        configuration.hub.maxStreams = 0
        await #expect(throws: ConfigurationError.self) {
            _ = try await FlimmerSyncServer(configuration: configuration, logger: .init(label: "test"))
        }
    }
}
