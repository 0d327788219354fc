import CoreMetrics

/// The fan-out's metrics, made from a `MetricsFactory` that the caller owns.
///
/// The factory is passed in rather than taken from the global `MetricsSystem`: a process may
/// hold several gateways (the tests start many), and each must count only its own. Every
/// metric is recorded per event or per stream, never per delivery (see ``EventHub``).
public struct GatewayMetrics: Sendable {
    /// Label of the delivery-lag histogram, so that its factory can be given buckets for it.
    public static let deliveryLagLabel = "flimmer_delivery_lag_seconds"

    /// Streams open now (a gauge).
    let streamsOpen: Meter
    /// Valid events that had at least one stream to go to.
    let eventsRelayed: Counter
    /// Messages dropped because they broke the channel contract.
    let eventsRejected: Counter
    /// Frames handed to streams, added per event (`+= streams`).
    let deliveries: Counter
    /// From the publisher's `ts` to the moment the hub hands the frame to the event loops.
    let deliveryLag: Timer
    /// Re-subscriptions after the subscription was lost.
    let subscriberReconnects: Counter
    /// Pooled API connections replaced after an I/O error.
    public let poolReconnects: Counter
    /// Streams closed because their client stopped reading.
    let slowClientCloses: Counter
    /// Changes of the Redis master (Sentinel), counted by the server as its client reports them.
    public let masterChanges: Counter
    /// Cluster redirections the Redis client followed (`MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN`), by kind.
    public let redirections: [String: Counter]

    /// Makes every metric from `factory`.
    public init(factory: any MetricsFactory) {
        streamsOpen = Meter(label: "flimmer_streams_open", factory: factory)
        eventsRelayed = Counter(label: "flimmer_events_relayed_total", factory: factory)
        eventsRejected = Counter(label: "flimmer_events_rejected_total", factory: factory)
        deliveries = Counter(label: "flimmer_deliveries_total", factory: factory)
        deliveryLag = Timer(label: Self.deliveryLagLabel, factory: factory)
        subscriberReconnects = Counter(
            label: "flimmer_redis_reconnects_total",
            dimensions: [("connection", "subscriber")],
            factory: factory
        )
        poolReconnects = Counter(label: "flimmer_redis_reconnects_total", dimensions: [("connection", "pool")], factory: factory)
        slowClientCloses = Counter(label: "flimmer_slow_client_closes_total", factory: factory)
        masterChanges = Counter(label: "flimmer_redis_master_changes_total", factory: factory)
        redirections = Dictionary(
            uniqueKeysWithValues: ["moved", "ask", "retry"].map { kind in
                (kind, Counter(label: "flimmer_redis_redirections_total", dimensions: [("kind", kind)], factory: factory))
            }
        )
    }

    /// Metrics that go nowhere: for a hub that nobody scrapes (unit tests, tools).
    public static var none: GatewayMetrics { GatewayMetrics(factory: NOOPMetricsHandler.instance) }
}
