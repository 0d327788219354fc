import ContentQueue
import CoreMetrics
import Gateway
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Prometheus
import RedisClient
import ServiceLifecycle
import UnixSignals

/// The whole gateway: Redis client, subscription, fan-out, and the HTTP application.
///
/// ```swift
/// let server = try await FlimmerSyncServer(configuration: config, logger: logger)
/// try await server.run()   // until SIGTERM or SIGINT
/// ```
public struct FlimmerSyncServer: Sendable {
    public let configuration: ServerConfiguration
    public let redis: RedisClient
    public let store: ContentQueueStore
    public let hub: EventHub
    public let subscriber: InvalidationSubscriber
    public let maintenance: StreamMaintenance
    public let tokens: TokenAuthority
    /// This server's metrics, served at `/metrics`. Each server has a registry of its own
    /// (never the global `MetricsSystem`), so that several servers in one process count apart.
    public let metrics: PrometheusCollectorRegistry
    /// Every route the router answers, as `"METHOD /path"` with `{name}` for path parameters,
    /// so a test can hold them against the OpenAPI document: nothing is served undocumented.
    public let routes: [String]
    /// Public so that tests can answer requests with the router in-process (HummingbirdTesting's
    /// `.router` mode), without a socket; the event-stream fast path is not part of it.
    public let application: Application<RouterResponder<FlimmerRequestContext>>

    /// Throws ``ConfigurationError`` for an invalid configuration, before anything starts.
    ///
    /// - Parameter onServerRunning: called with the bound port once the server listens.
    public init(
        configuration: ServerConfiguration,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        try configuration.validate()
        self.configuration = configuration
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Delivery lag is milliseconds when all is well and seconds during an outage.
        factory.durationHistogramBuckets[GatewayMetrics.deliveryLagLabel] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
            .map { Duration.milliseconds($0) }
        let gatewayMetrics = GatewayMetrics(factory: factory)
        let httpMetrics = HTTPMetrics(factory: factory)
        let mutations = MutationRequests(factory: factory)
        // The client is made before what it must call on a change of master; the box closes the loop.
        let onMasterChange = NIOLockedValueBox<@Sendable () -> Void>({})
        let redis = RedisClient(
            configuration: configuration.redis,
            logger: logger,
            onReconnect: { gatewayMetrics.poolReconnects.increment() },
            onMasterChange: { _ in
                gatewayMetrics.masterChanges.increment()
                onMasterChange.withLockedValue { $0 }()
            },
            onRedirect: { kind in gatewayMetrics.redirections[kind]?.increment() }
        )
        let store = ContentQueueStore(redis: redis, configuration: configuration.store, logger: logger)
        var hubConfiguration = configuration.hub
        // On a cluster a family's slot may move back to a node it left: that node's generation
        // is the family's again.
        hubConfiguration.generationsMayReturn = configuration.redis.cluster != nil
        let hub = EventHub(configuration: hubConfiguration, metrics: gatewayMetrics, logger: logger)
        let maintenance = StreamMaintenance(hub: hub, store: store, logger: logger)
        // Every family with open streams is checked against the new master at once (its
        // subscription comes back too, and checks again).
        onMasterChange.withLockedValue { $0 = { Task { await maintenance.recheck() } } }
        let subscriber = InvalidationSubscriber(
            redis: redis,
            configuration: configuration.subscriber,
            hub: hub,
            logger: logger,
            onResubscribe: { await maintenance.recheck() }
        )
        let tokens = try await TokenAuthority(secret: configuration.jwtSecret)
        let auth = Authenticator(tokens: tokens)

        let router = Router(context: FlimmerRequestContext.self)
        // Outermost first: the id is in every later log line and on every response, and the
        // metrics see the status that ErrorMiddleware made of an error.
        router.middlewares.add(RequestIDMiddleware())
        router.middlewares.add(HTTPMetricsMiddleware(metrics: httpMetrics))
        let knownRoutes = KnownRoutes()
        router.middlewares.add(ErrorMiddleware(knownRoutes: knownRoutes))
        if !configuration.corsAllowedOrigins.isEmpty {
            router.middlewares.add(CORSPolicy(allowedOrigins: Set(configuration.corsAllowedOrigins)))
        }
        InvalidateController(store: store, auth: auth, bodies: RequestBodyReader(maxBytes: configuration.maxBodyBytes), mutations: mutations)
            .register(on: router)
        ContentController(store: store, auth: auth, bodies: RequestBodyReader(maxBytes: configuration.maxBodyBytes), mutations: mutations)
            .register(on: router)
        let events = EventsController(
            hub: hub,
            store: store,
            subscriber: subscriber,
            auth: auth,
            tickets: EventsTicketStore(redis: redis, lifetime: configuration.streamTicketLifetime),
            metrics: httpMetrics,
            corsOrigins: configuration.corsAllowedOrigins.isEmpty ? nil : Set(configuration.corsAllowedOrigins)
        )
        events.register(on: router)
        HealthController(redis: redis, subscriber: subscriber).register(on: router)
        try OpenAPIController().register(on: router)
        try WebController().register(on: router)
        MetricsController(registry: registry, token: configuration.metricsToken).register(on: router)

        self.redis = redis
        self.store = store
        self.hub = hub
        self.subscriber = subscriber
        self.maintenance = maintenance
        self.tokens = tokens
        self.metrics = registry
        self.routes = router.routes.map(\.description)
        knownRoutes.record(router.routes)
        let idleTimeout = configuration.idleTimeout
        self.application = Application(
            router: router,
            // Hummingbird's HTTP/1.1 channel, with the event-stream fast path in front (see ConnectionSniffer).
            server: HTTPServerBuilder { responder in
                FlimmerHTTPChannel(responder: responder, idleTimeout: idleTimeout, events: events)
            },
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "flimmer-sync",
                backlog: configuration.backlog
            ),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    /// The services in start order; a `ServiceGroup` stops them in reverse, so HTTP stops
    /// first (closing streams), then the fan-out, the subscription, and Redis last.
    public var services: [any Service] {
        [redis, subscriber, maintenance, application]
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully.
    public func run(logger: Logger) async throws {
        var group = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // Streams end, in-flight mutations finish; whatever is still running past the bound is cancelled.
        group.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        group.maximumCancellationDuration = .seconds(2)
        try await ServiceGroup(configuration: group).run()
    }
}
