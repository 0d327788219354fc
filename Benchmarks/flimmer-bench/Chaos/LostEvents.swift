/// The events of writes a new master lacked, after one master kill: the promoted replica's state
/// right after the kill (`ReplicaState`) against the ids the streams heard.
///
/// An event of the dead master's generation above the promoted replica's version of its family
/// announced a write that the new master does not have. Each stream that heard one must hear
/// of another generation afterwards (an `invalidate` or `reset` from the new master's state);
/// a stream that did not keeps the lost state for good.
struct LostEvents: Sendable, Equatable {
    /// The kill's number in the run, from 1.
    var kill: Int
    /// Versions announced above the new master's, summed over families.
    var versions = 0
    var families = 0
    /// Streams that heard at least one of them.
    var streams = 0
    /// Those streams that heard nothing of another generation afterwards, as report lines.
    var unanswered: [String] = []
    /// Acknowledged writes whose id (generation and version) is one announced for a lost write.
    var reusedIDs: [String] = []
    /// Why the kill could not be judged; nil when it was.
    var notJudged: String?

    static func judge(_ kills: [FaultLedger.MasterKillRecord], clients: [ClientSnapshot], acks: [Ack]) -> [LostEvents] {
        kills.enumerated().map { index, kill in
            var figures = LostEvents(kill: index + 1)
            guard let state = kill.promotedState else {
                let known = kill.replicas.map { ":\($0.port)" }.joined(separator: ", ")
                figures.notJudged =
                    "the promoted node \(kill.newMasterPort.map { ":\($0)" } ?? "(none)") was not read after the kill"
                    + " (read: \(known.isEmpty ? "none" : known)\(kill.replicaReadErrors.isEmpty ? "" : "; " + kill.replicaReadErrors.joined(separator: "; ")))"
                return figures
            }
            var highest: [String: Int] = [:]
            for client in clients {
                let kept = state.versions[client.family] ?? 0
                guard let lost = client.runs.lastIndex(where: { $0.generation == state.generation && $0.maxVersion > kept }) else { continue }
                highest[client.family] = max(highest[client.family] ?? 0, client.runs[lost].maxVersion)
                figures.streams += 1
                if !client.runs[(lost + 1)...].contains(where: { $0.generation != state.generation }) {
                    figures.unanswered.append(
                        "client \(client.index) (\(client.family)) heard \(state.generation.prefix(8))…-\(client.runs[lost].maxVersion), "
                            + "a write the new master :\(state.port) lacks (it started at version \(kept)), and no invalidate or reset after it"
                    )
                }
            }
            figures.families = highest.count
            figures.versions = highest.reduce(0) { $0 + $1.value - (state.versions[$1.key] ?? 0) }
            for ack in acks {
                guard ack.generation == state.generation, let version = ack.version, let top = highest[ack.family],
                    version > (state.versions[ack.family] ?? 0), version <= top
                else { continue }
                figures.reusedIDs.append(
                    "\(ack.status) \(ack.id) of \(ack.family) was acknowledged with id \(state.generation.prefix(8))…-\(version), "
                        + "announced for a write the new master :\(state.port) lacks"
                )
            }
            return figures
        }
    }

    /// One line of the report.
    func line(frozen: Bool, ballast: String?) -> String {
        var text = "kill \(kill)\(frozen ? " (replicas frozen first; ballast uploads: \(ballast ?? "none"))" : ""): "
        if let notJudged { return text + "events for lost writes NOT judged: \(notJudged)" }
        text += "events announced for writes the new master lacks: \(versions) versions in \(families) families, heard by \(streams) streams"
        text += ", \(streams - unanswered.count) of them told invalidate/reset afterwards"
        return text
    }
}
