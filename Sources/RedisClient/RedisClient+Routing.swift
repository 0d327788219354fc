extension RedisClient {
    /// A pipeline whose commands go to the node that serves `key`'s slot: in a cluster, the
    /// master of the slot (every key of a family shares its `{F}` tag, so any of them routes the
    /// family's commands); outside one, the one master.
    public func routed(by key: String) -> RedisRoute {
        RedisRoute(client: self, slot: RedisSlot(key: key))
    }

    /// Sends `commands` as one unit to the node that serves `slot` (nil: keyless commands, the
    /// master of slot 0 in a cluster) and returns their replies in order.
    ///
    /// In a cluster, a redirection in the replies is followed, up to
    /// ``RedisClusterConfiguration/maxRedirections`` times: `MOVED` updates the slot map and
    /// sends the unit again to the new owner, `ASK` sends it once to the importing node after
    /// `ASKING`, `TRYAGAIN` and `CLUSTERDOWN` wait (50 ms, doubling) and send it again. A
    /// redirected unit did not run (a MULTI whose commands were redirected is discarded at
    /// EXEC), so sending it again runs it once. Past the limit the replies are returned as they
    /// are, errors included.
    public func replies(to commands: [RedisCommand], slot: RedisSlot?) async throws -> RedisReplies {
        guard !commands.isEmpty else { return RedisReplies(values: [], generation: nil) }
        var asking: RedisNode?
        var redirections = 0
        var refusedAsReplica = false
        while true {
            let node: RedisNode
            if let asking { node = asking } else { node = try await target(slot) }
            let sent = asking == nil ? commands : [RedisCommand("ASKING")] + commands
            var replies = try await reporting(node) { try await node.send(sent) }
            if asking != nil { replies.values.removeFirst() }
            if let cluster,
                let redirect = ClusterRedirect.first(in: replies.values, fallbackHost: node.address.host),
                redirections < (configuration.cluster?.maxRedirections ?? 0)
            {
                redirections += 1
                asking = await follow(redirect, in: cluster, attempt: redirections)
                continue
            }
            guard replies.values.contains(where: \.isReadOnlyRefusal), !refusedAsReplica else { return replies }
            // A replica refused (nothing was written): once more, on the master named then.
            topology.report(node)
            refusedAsReplica = true
            asking = nil
        }
    }

    /// ``withConnection(_:)`` on the node that serves `slot`. In a cluster, a body that threw
    /// after a reply carried a redirection (`MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN`) runs again
    /// where the redirection points, as ``replies(to:slot:)`` does: the redirected command did
    /// not run, and a MULTI that held one was discarded at EXEC, so nothing of the first run was
    /// written. With `ASK`, every unit the body sends is preceded by `ASKING`.
    public func withConnection<Result: Sendable>(slot: RedisSlot?, _ body: (RedisLease) async throws -> Result) async throws -> Result {
        var asking: RedisNode?
        var redirections = 0
        var refusedAsReplica = false
        while true {
            let node: RedisNode
            if let asking { node = asking } else { node = try await target(slot) }
            let routing = LeaseRouting(asking: asking != nil, fallbackHost: node.address.host)
            do {
                return try await reporting(node) { try await node.withLease(routing: routing, body) }
            } catch let error as RedisError where error.isReadOnlyRefusal && !refusedAsReplica {
                topology.report(node)
                refusedAsReplica = true
                asking = nil
            } catch {
                guard let cluster, let redirect = routing.redirect,
                    redirections < (configuration.cluster?.maxRedirections ?? 0)
                else { throw error }
                redirections += 1
                asking = await follow(redirect, in: cluster, attempt: redirections)
            }
        }
    }

    /// The address of the node that serves `slot` now (the one master outside a cluster): where
    /// a subscription to a shard channel of that slot must be made.
    public func address(of slot: RedisSlot) async throws -> RedisNodeAddress {
        try await topology.node(for: slot).address
    }

    /// Asks for the topology again before the next request: a subscriber that was told its
    /// shard channel is elsewhere (`MOVED` to SSUBSCRIBE) says so.
    public func topologyMayHaveChanged() {
        for node in topology.nodes { topology.report(node) }
    }

    /// The node for `slot`, or for keyless commands.
    func target(_ slot: RedisSlot?) async throws -> RedisNode {
        if let slot { return try await topology.node(for: slot) }
        return try await topology.primary()
    }

    /// Acts on a redirection; returns the node to send to once with `ASKING`, if any.
    private func follow(_ redirect: ClusterRedirect, in cluster: ClusterTopology, attempt: Int) async -> RedisNode? {
        switch redirect {
        case .moved(let slot, let address):
            onRedirect("moved")
            cluster.moved(slot, to: address)
            return nil
        case .ask(_, let address):
            onRedirect("ask")
            return cluster.node(at: address)
        case .retryLater:
            onRedirect("retry")
            try? await Task.sleep(for: .milliseconds(25 << min(attempt, 5)))
            return nil
        }
    }
}
