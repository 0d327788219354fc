/// Which master serves each of a cluster's 16,384 slots, from a `CLUSTER SLOTS` reply.
struct ClusterSlotMap: Sendable, Equatable {
    /// Slot → index in `masters`; -1 for a slot no master serves.
    private(set) var owners: [Int16]
    /// The masters, in the order they first appear in the reply.
    private(set) var masters: [RedisNodeAddress]

    init() {
        owners = Array(repeating: -1, count: RedisSlot.count)
        masters = []
    }

    /// Parses `CLUSTER SLOTS`: `[[start, end, [host, port, id…], replicas…]…]`. An empty host
    /// means the node that answered (`answeredBy`).
    init(clusterSlots reply: RedisValue, answeredBy: RedisNodeAddress) throws {
        self.init()
        guard let ranges = reply.array else { throw RedisError(.unexpectedReply, "CLUSTER SLOTS answered \(reply)") }
        for range in ranges {
            guard let parts = range.array, parts.count >= 3, let start = parts[0].int, let end = parts[1].int,
                let master = parts[2].array, master.count >= 2, let host = master[0].string, let port = master[1].int,
                (0..<RedisSlot.count).contains(start), (start..<RedisSlot.count).contains(end)
            else { throw RedisError(.unexpectedReply, "CLUSTER SLOTS has a range of an unknown shape: \(range)") }
            let address = RedisNodeAddress(host: host.isEmpty || host == "?" ? answeredBy.host : host, port: port)
            assign(start...end, to: address)
        }
    }

    /// The master of `slot`; nil when none serves it.
    func master(of slot: RedisSlot) -> RedisNodeAddress? {
        owner(of: slot.rawValue)
    }

    /// The master of slot number `slot`; nil when none serves it.
    func owner(of slot: Int) -> RedisNodeAddress? {
        let index = owners[slot]
        return index < 0 ? nil : masters[Int(index)]
    }

    /// Slots no master serves.
    var uncovered: Int { owners.reduce(0) { $0 + ($1 < 0 ? 1 : 0) } }

    /// Gives `slots` to `address` (a `MOVED` says so before the next refresh).
    mutating func assign(_ slots: ClosedRange<Int>, to address: RedisNodeAddress) {
        let index: Int
        if let known = masters.firstIndex(of: address) {
            index = known
        } else {
            masters.append(address)
            index = masters.count - 1
        }
        for slot in slots { owners[slot] = Int16(index) }
    }
}
