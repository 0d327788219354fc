import ContentQueue

/// The verdict of a chaos run, from what was acknowledged, what Redis holds afterwards and
/// what the clients saw: no I/O here, so that every rule can be tested on its own.
///
/// a. every acknowledged upload is in Redis, every acknowledged decision left the status it
///    asked for; lost writes are explained against the kill -9 (`LossExplanation`);
/// b. no family's final version is below a version a write was acknowledged with;
/// c. every client's last seen id is its family's final `<epoch>-<version>`;
/// d. the faults themselves went as planned.
struct ChaosChecks {
    /// What Redis held after the run.
    struct Found {
        /// Per upload, in order: whether its item exists.
        var uploads: [Bool]
        /// Per decision, in order: the item's status.
        var statuses: [String?]
        var finals: [String: FamilyVersion]
    }

    var uploads: [Ack]
    var decisions: [Ack]
    var clients: [ClientSnapshot]
    var redisKilledAt: Double?
    var faultProblems: [String]

    /// Counted for the report.
    private(set) var uploadsFound = 0
    private(set) var decisionsFound = 0
    /// Clients not at their family's final version; nil when Redis could not be read.
    private(set) var behind: [ClientSnapshot]?
    private(set) var failures: [String] = []

    /// Runs the checks on `found`, or on the error that kept Redis from being read; `aofNote`
    /// tells whether a lost upload's id is still in the AOF files.
    mutating func judge(_ found: Result<Found, any Error>, aofNote: (String) -> String) {
        failures = []
        switch found {
        case .failure(let error):
            failures.append("Redis could not be read for the checks: \(error)")
            behind = nil
        case .success(let found):
            judgeWrites(found, aofNote: aofNote)
            let behind = Self.lagging(clients, finals: found.finals)
            self.behind = behind
            for client in behind {
                let final = found.finals[client.family]
                failures.append(
                    "client \(client.index) (\(client.family), \(client.role), last on gateway \(client.gateway)) "
                        + "last saw \(client.seen?.tag ?? "nothing"), final is \(final?.tag ?? "unknown")"
                        + (client.lastError.isEmpty ? "" : "; last error: \(client.lastError)")
                )
            }
        }
        failures += faultProblems
    }

    private mutating func judgeWrites(_ found: Found, aofNote: (String) -> String) {
        var writes: [(ack: Ack, kept: Bool)] = []
        var lost: [String] = []
        for (ack, exists) in zip(uploads, found.uploads) {
            writes.append((ack, exists))
            if exists {
                uploadsFound += 1
            } else {
                lost.append(
                    "upload \(ack.id) of \(ack.family) acknowledged with version \(ack.version.map(String.init) ?? "?") (\(when(ack))) is not in Redis; \(aofNote(ack.id))"
                )
            }
        }
        for (ack, status) in zip(decisions, found.statuses) {
            writes.append((ack, status == ack.status))
            if status == ack.status {
                decisionsFound += 1
            } else {
                lost.append(
                    "decision \(ack.status) of \(ack.id) (\(ack.family)) acknowledged with version \(ack.version.map(String.init) ?? "?") (\(when(ack))), but Redis has status \(status.map { "'\($0)'" } ?? "None")"
                )
            }
        }
        if !lost.isEmpty {
            failures.append(LossExplanation.explain(writes, killedAt: redisKilledAt))
            failures += lost
        }
        // One line is enough: a family behind one acknowledged version is behind all later ones.
        for ack in uploads + decisions {
            guard let version = ack.version, let final = found.finals[ack.family], final.version < version else { continue }
            failures.append("family \(ack.family): final version \(final.version) is below the acknowledged version \(version) (\(when(ack)))")
            break
        }
    }

    private func when(_ ack: Ack) -> String {
        var text = "sent at \(LossExplanation.f2(ack.sent)) s, answered at \(LossExplanation.f2(ack.answered)) s by gateway \(ack.gateway)"
        if let killed = redisKilledAt { text += "; Redis killed at \(LossExplanation.f2(killed)) s" }
        return text
    }

    /// Clients whose last seen id is not their family's final epoch and version.
    static func lagging(_ clients: [ClientSnapshot], finals: [String: FamilyVersion]) -> [ClientSnapshot] {
        clients.filter { $0.seen != finals[$0.family] }
    }

    /// Writes acknowledged with one version of one family: every mutation bumps its family's
    /// version by one, so two acknowledgements carrying one version mean that Redis lost the
    /// first write and handed its version out again. Ordered by the first one's answer.
    static func versionsAcknowledgedTwice(_ acks: [Ack]) -> [[Ack]] {
        var byVersion: [String: [Ack]] = [:]
        var order: [String] = []
        for ack in acks {
            guard let version = ack.version else { continue }
            let key = "\(ack.family) \(version)"
            if byVersion[key] == nil { order.append(key) }
            byVersion[key, default: []].append(ack)
        }
        return order.compactMap { byVersion[$0] }.filter { $0.count > 1 }.sorted { $0[0].answered < $1[0].answered }
    }
}
