/// Where the client sends a command: to which node, today and as the topology changes.
///
/// Kept apart from how the client talks to one node (``RedisNode``), so that a topology that
/// follows a master that moves, or the owner of a cluster slot, changes nothing in the transport.
protocol RedisTopology: Sendable {
    /// The node that takes writes (and, here, every read).
    func primary() async throws -> RedisNode
    /// Every node the topology holds connections to.
    var nodes: [RedisNode] { get }
}

/// One Redis server at a fixed address.
struct StandaloneTopology: RedisTopology {
    let node: RedisNode

    func primary() async throws -> RedisNode { node }
    var nodes: [RedisNode] { [node] }
}
