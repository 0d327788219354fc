/// What followed one `kill -9` of a Sentinel master, from the ledger's record, the
/// acknowledgements and the clients' first sightings of each generation. All times in seconds
/// from the kill.
struct FailoverFigures: Sendable, Equatable {
    var kill: FaultLedger.MasterKillRecord
    /// Until the first write acknowledged on an attempt sent after the kill (a replay counts:
    /// the new master confirmed it); nil when none was.
    var firstAck: Double?
    /// The generation the writes continued in: that of the first write committed after the kill
    /// (replays carry the generation of their first commit).
    var generation: String?
    /// Until every client had seen an id of `generation`; nil when some never did.
    var streamsFollowed: Double?
    /// Clients that never saw an id of `generation`.
    var streamsMissing = 0

    static func compute(_ kills: [FaultLedger.MasterKillRecord], acks: [Ack], clients: [ClientSnapshot]) -> [FailoverFigures] {
        kills.map { kill in
            let after = acks.filter { $0.lastAttemptSent > kill.killedAt }
            var figures = FailoverFigures(kill: kill)
            figures.firstAck = after.map(\.answered).min().map { $0 - kill.killedAt }
            figures.generation = after.filter { !$0.replayed && $0.generation != nil }.min { $0.answered < $1.answered }?.generation
            guard let generation = figures.generation else { return figures }
            let seen = clients.map { $0.firstSeen[generation] }
            figures.streamsMissing = seen.filter { $0 == nil }.count
            if figures.streamsMissing == 0, let last = seen.compactMap({ $0 }).max() { figures.streamsFollowed = max(0, last - kill.killedAt) }
            return figures
        }
    }

    /// One line of the report: `kill 1: master node-1 :6379 at 8.0 s; …`.
    func line(_ number: Int) -> String {
        var parts = ["kill \(number): master \(kill.node) :\(kill.port) at \(f1(kill.killedAt)) s"]
        if kill.waited >= 0.5 { parts[0] += " (waited \(f1(kill.waited)) s for the topology to settle)" }
        if let at = kill.failoverAt, let port = kill.newMasterPort {
            parts.append("a Sentinel named :\(port) after \(f1(at - kill.killedAt)) s")
        } else {
            parts.append("NO failover seen")
        }
        parts.append(firstAck.map { "first write acknowledged after \(f1($0)) s" } ?? "no write acknowledged after it")
        if let generation {
            parts.append(
                streamsFollowed.map { "every stream on the new generation \(generation.prefix(8)) after \(f1($0)) s" }
                    ?? "\(streamsMissing) streams never saw the new generation \(generation.prefix(8))"
            )
        }
        parts.append(
            kill.settledAt.map { "\(kill.node) rejoined, topology settled after \(f1($0 - kill.killedAt)) s" } ?? "the topology did NOT settle"
        )
        return parts.joined(separator: "; ")
    }

    private func f1(_ value: Double) -> String { String(format: "%.1f", value) }
}
