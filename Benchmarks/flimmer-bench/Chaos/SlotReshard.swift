import RedisClient

/// Under load, moves slots that hold active families from one master to another, live
/// (`redis-cli --cluster reshard`: each slot's keys migrate while it is served, clients meet
/// ASK, TRYAGAIN and then MOVED). The source is the master that serves the most of the run's
/// families; enough of its lowest slots move to take half of them (at least 1000 slots).
struct SlotReshard: Fault {
    struct Damage: Sendable {}

    var schedule: FaultSchedule
    var tally: String? { "reshards" }

    func inject(_ context: FaultContext) async throws -> Damage {
        guard let cluster = context.cluster else { throw ChaosProblem("a reshard needs a Redis Cluster (--cluster-dir)") }
        let masters = await cluster.masters(children: context.children)
        guard masters.count >= 2 else { throw ChaosProblem("a reshard needs two masters; the cluster shows \(masters.count)") }
        let slots = context.families.map { RedisSlot(key: "{\($0)}").rawValue }
        guard let source = masters.max(by: { a, b in slots.filter(a.serves).count < slots.filter(b.serves).count }),
            let target = masters.first(where: { $0.port != source.port })
        else { throw ChaosProblem("no master to reshard from") }
        // The source's slots in order; move up to the slot of the middle family it serves.
        let owned = source.slots.flatMap { Array($0) }
        let familySlots = slots.filter(source.serves).sorted()
        let middle = familySlots.isEmpty ? owned.first ?? 0 : familySlots[familySlots.count / 2]
        let count = max(1000, (owned.firstIndex(of: middle) ?? 0) + 1)
        let moving = familySlots.filter { owned.prefix(count).contains($0) }.count
        context.log.say(
            "reshard: \(count) slots (\(moving) of the \(familySlots.count) families on it) from :\(source.port) to :\(target.port), live"
        )
        let started = ContinuousClock.now
        _ = try await cluster.reshard(from: source, to: target, slots: count, children: context.children)
        context.log.say("reshard done in \(String(format: "%.1f", ChaosLog.seconds(ContinuousClock.now - started))) s")
        return Damage()
    }

    func undo(_ damage: Damage, _ context: FaultContext) async throws {}
}
