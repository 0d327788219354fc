/// Where the client sends a command: to which node, today and as the topology changes.
///
/// Kept apart from how the client talks to one node (``RedisNode``), so that a topology that
/// follows a master that moves, or the owner of a cluster slot, changes nothing in the transport.
protocol RedisTopology: Sendable {
    /// The node that takes writes (and, here, every read) of keys in no particular slot.
    func primary() async throws -> RedisNode
    /// The node that serves `slot`: the one master outside a cluster.
    func node(for slot: RedisSlot) async throws -> RedisNode
    /// `node` failed a request in a way that says it may no longer be the right one (its
    /// connection broke, it refused a write as a replica): ask again before the next request.
    func report(_ node: RedisNode)
    /// Every node the topology holds connections to now.
    var nodes: [RedisNode] { get }
    /// How many times the master moved since start (Sentinel), or the slot map changed (a
    /// cluster); the first master or map found does not count. 0 for one fixed server.
    var changes: Int { get }
    /// Closes every connection.
    func shutdown()
}

/// One Redis server at a fixed address.
struct StandaloneTopology: RedisTopology {
    let node: RedisNode

    func primary() async throws -> RedisNode { node }
    func node(for slot: RedisSlot) async throws -> RedisNode { node }
    func report(_ node: RedisNode) {}
    var nodes: [RedisNode] { [node] }
    var changes: Int { 0 }
    func shutdown() { node.shutdown() }
}
