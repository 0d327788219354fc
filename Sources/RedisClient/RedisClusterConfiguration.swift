/// Where a Redis Cluster can be found (`redis+cluster://` URLs): a few of its nodes, from which
/// the client learns the whole slot map (`CLUSTER SLOTS`) and every other node.
public struct RedisClusterConfiguration: Sendable, Equatable {
    /// Nodes asked in turn for the slot map; any node of the cluster will do.
    public var seeds: [RedisNodeAddress]
    /// The slot map is asked again at least this often, besides after every redirection
    /// (`MOVED`) and every connection a node lost. Default 10 s.
    public var refreshInterval: Duration
    /// Redirections (`MOVED`, `ASK`) and waits (`TRYAGAIN`, `CLUSTERDOWN`) one request follows
    /// before it fails. Default 5.
    public var maxRedirections: Int

    public init(seeds: [RedisNodeAddress], refreshInterval: Duration = .seconds(10), maxRedirections: Int = 5) {
        self.seeds = seeds
        self.refreshInterval = refreshInterval
        self.maxRedirections = maxRedirections
    }
}
