import ContentQueue

/// The verdict of a chaos run, from what was acknowledged, what Redis holds afterwards and
/// what the clients saw: no I/O here, so that every rule can be tested on its own.
///
/// a. every acknowledged upload (replays included) is in Redis, every acknowledged decision
///    left the status it asked for; lost writes are explained against the kill -9 of the one
///    Redis (`LossExplanation`) or listed with the master kills of a Sentinel topology;
/// b. no logical write was applied twice: no two items carry one upload's title (each upload's
///    title is unique to its `Idempotency-Key`), and no retry of a write was refused as if its
///    committed first attempt had not been (a decision found not pending);
/// c. no family's final version is below a version a write was acknowledged with;
/// d. every client's last seen id is its family's final `<epoch>-<generation>-<version>`, and
///    that is the tag (ETag) the gateway answers for the family's queue;
/// e. the faults themselves went as planned;
/// f. (Sentinel) every stream that heard of a write the new master lacks was told otherwise
///    afterwards (`LostEvents`), and no event id was given to two different writes.
struct ChaosChecks {
    /// What Redis held after the run.
    struct Found {
        /// Per upload, in order: whether its item exists.
        var uploads: [Bool]
        /// Per decision, in order: the item's status.
        var statuses: [String?]
        var finals: [String: FamilyVersion]
        /// Every item hash in Redis.
        var items: [StoredItem] = []
    }

    /// One item hash in Redis: its key (`content:{F}:<id>`) and title.
    struct StoredItem: Sendable, Equatable {
        var key: String
        var title: String?
    }

    var uploads: [Ack]
    var decisions: [Ack]
    var clients: [ClientSnapshot]
    var redisKilledAt: Double?
    var faultProblems: [String]
    /// When each master of a Sentinel topology was killed (seconds since the start).
    var masterKilledAt: [Double] = []
    /// Writes refused on a retry (`ChaosLoad.refusedOnRetry`).
    var refusedOnRetry: [String] = []
    /// Per master kill, the events of writes the new master lacked (`LostEvents.judge`).
    var lostEvents: [LostEvents] = []

    /// Counted for the report.
    private(set) var uploadsFound = 0
    private(set) var decisionsFound = 0
    /// Clients not at their family's final version; nil when Redis could not be read.
    private(set) var behind: [ClientSnapshot]?
    private(set) var failures: [String] = []

    /// Runs the checks on `found`, or on the error that kept Redis from being read; `tags`: each
    /// family's queue ETag (without quotes) as a gateway answered it after the run, nil when
    /// none could be read; `aofNote` tells whether a lost upload's id is still in the AOF files.
    mutating func judge(_ found: Result<Found, any Error>, tags: Result<[String: String], any Error>? = nil, aofNote: (String) -> String) {
        failures = []
        switch found {
        case .failure(let error):
            failures.append("Redis could not be read for the checks: \(error)")
            behind = nil
        case .success(let found):
            judgeWrites(found, aofNote: aofNote)
            failures += Self.writtenTwice(found.items)
            failures += refusedOnRetry
            switch tags {
            case .failure(let error)?:
                failures.append("the gateway's queue ETags could not be read for the checks: \(error)")
            case .success(let tags)?:
                failures += Self.tagMismatches(tags, finals: found.finals)
            case nil:
                break
            }
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
        failures += Self.idsReused(uploads + decisions)
        for kill in lostEvents { failures += kill.unanswered + kill.reusedIDs }
        if !lostEvents.isEmpty, lostEvents.allSatisfy({ $0.notJudged != nil }) {
            failures.append("no master kill could be judged for events of lost writes: " + lostEvents.compactMap(\.notJudged).joined(separator: "; "))
        }
    }

    /// Event ids (family, generation, version) that acknowledged two different writes: an id must
    /// name one state, so a client that saw it can never mistake one for the other. Replays of
    /// one write share its id, as they must.
    static func idsReused(_ acks: [Ack]) -> [String] {
        var writes: [String: Set<String>] = [:]
        var order: [String] = []
        for ack in acks {
            guard let version = ack.version, let generation = ack.generation else { continue }
            let id = "\(ack.family) \(generation)-\(version)"
            if writes[id] == nil { order.append(id) }
            writes[id, default: []].insert("\(ack.status) \(ack.id)")
        }
        return order.filter { writes[$0]!.count > 1 }.map {
            "id \($0) acknowledged different writes: \(writes[$0]!.sorted().joined(separator: ", "))"
        }
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
            if masterKilledAt.isEmpty {
                failures.append(LossExplanation.explain(writes, killedAt: redisKilledAt))
            } else {
                let kills = masterKilledAt.map { LossExplanation.f2($0) + " s" }.joined(separator: ", ")
                failures.append(
                    "\(lost.count) acknowledged writes are not on the final master (masters killed at \(kills)): each was "
                        + "acknowledged only after WAIT counted a replica holding it, so a failover must not lose it"
                )
            }
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
        if ack.attempts > 1 { text += " on attempt \(ack.attempts)" }
        if ack.replayed { text += " (replayed)" }
        if let generation = ack.generation { text += ", generation \(generation)" }
        if let killed = redisKilledAt { text += "; Redis killed at \(LossExplanation.f2(killed)) s" }
        return text
    }

    /// Items that share an upload's title: one logical write stored twice. Titles not made by
    /// the chaos load (`chaos …`) are ignored.
    static func writtenTwice(_ items: [StoredItem]) -> [String] {
        var keysByTitle: [String: [String]] = [:]
        for item in items {
            guard let title = item.title, title.hasPrefix("chaos ") else { continue }
            keysByTitle[title, default: []].append(item.key)
        }
        return keysByTitle.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }.map {
            "upload '\($0.key)' was written \($0.value.count) times: \($0.value.sorted().joined(separator: ", "))"
        }
    }

    /// Families whose queue ETag, as a gateway answers it, is not their state in Redis.
    static func tagMismatches(_ tags: [String: String], finals: [String: FamilyVersion]) -> [String] {
        finals.keys.sorted().compactMap { family in
            let final = finals[family]!.tag
            guard let tag = tags[family] else { return "family \(family): the gateway answered no queue ETag (Redis holds \(final))" }
            return tag == final ? nil : "family \(family): the gateway's queue ETag is \(tag), Redis holds \(final)"
        }
    }

    /// Clients whose last seen id is not their family's final epoch, generation and version.
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
