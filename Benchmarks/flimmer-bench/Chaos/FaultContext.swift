import AsyncHTTPClient

/// What faults act on: the processes scripts/chaos started, the clients, and the run's log,
/// ledger and own child processes.
struct FaultContext: Sendable {
    /// The one Redis of a run without Sentinel; nil with `ha`.
    var redis: RedisNode?
    /// The gateways, A first.
    var gateways: [GatewayNode]
    var clients: [ChaosClient]
    var log: ChaosLog
    var ledger: FaultLedger
    var children: ChildProcesses
    /// For health checks of restarted processes.
    var http: HTTPClient
    /// The Sentinel topology of a run with `--ha-dir`; nil for one Redis.
    var ha: HATopology? = nil
    /// The Redis Cluster of a run with `--cluster-dir`; nil otherwise.
    var cluster: ClusterNodes? = nil
    /// The run's writes, for faults that add some of their own (`MasterKill`'s ballast).
    var load: ChaosLoad? = nil

    /// The families the clients follow, in their first client's order.
    var families: [String] {
        clients.map(\.family).reduce(into: []) { families, family in if !families.contains(family) { families.append(family) } }
    }
}
