import Foundation

/// The figures of a chaos run and its verdict, as printed at its end.
struct ChaosReport {
    var checks: ChaosChecks
    var families: Int
    var load: ChaosLoad
    /// The faults' tallies, in schedule order: (`redis restarts`, 1).
    var tallies: [(String, Int)]
    var settled: Double
    var total: Double
    /// What followed each master kill of a run on a Sentinel topology; nil on one Redis.
    var failovers: [FailoverFigures]? = nil
    /// Each gateway's `flimmer_redis_master_changes_total` after the run (`A 2`), Sentinel only.
    var masterChanges: [String] = []
    /// The master switches the Sentinels logged, Sentinel only: more than the kills when a
    /// Sentinel also failed over a master that was not killed.
    var switches: Int? = nil
    /// The master kills of a run on a Redis Cluster; nil on one Redis or Sentinel.
    var clusterKills: [FaultLedger.MasterKillRecord]? = nil
    /// Each gateway's cluster redirections followed (`A moved 12, ask 3, retry 40`), cluster only.
    var redirections: [String] = []

    /// Prints the figures, the acknowledgements that share a version and the failures; returns the exit status.
    func print(_ log: ChaosLog) -> Int32 {
        let clients = checks.clients
        let atFinal = checks.behind.map { clients.count - $0.count } ?? 0
        let acks = checks.uploads + checks.decisions
        let twice = ChaosChecks.versionsAcknowledgedTwice(acks)
        var first = [
            "clients \(clients.count)", "families \(families)", "events received \(sum(\.events))",
            "uploads acknowledged \(checks.uploads.count)", "uploads found \(checks.uploadsFound)",
            "decisions acknowledged \(checks.decisions.count)", "decisions found \(checks.decisionsFound)",
            "clients at the final version \(atFinal)/\(clients.count)", "reconnects \(clients.reduce(0) { $0 + max(0, $1.opens - 1) })",
        ]
        first += tallies.map { "\($0.0) \($0.1)" }
        log.line(first.joined(separator: ", "))
        log.line(
            "writes retried \(acks.filter { $0.attempts > 1 }.count) (acknowledged after a retry), replays \(acks.filter(\.replayed).count); "
                + "retried attempts: \(load.retriedAttempts.summary); writes not acknowledged: uploads \(load.uploadErrors.summary), "
                + "decisions \(load.decisionErrors.summary)"
                + (load.skipped.summary == "none" ? "" : "; skipped: \(load.skipped.summary)")
        )
        log.line(
            "failed stream opens \(sum(\.openFailures)), stalled streams \(sum(\.stalls)), "
                + "shutdown notices \(sum(\.shutdownNotices)), resets seen \(sum(\.resets)), id regressions \(sum(\.regressions)), "
                + "versions acknowledged twice \(twice.count), "
                + "client 0 paused \(f1(clients.first?.pausedSeconds ?? 0)) s, settled in \(f1(settled)) s, total \(f1(total)) s"
        )
        var causes: [String: Int] = [:]
        for client in clients { causes.merge(client.openFailureCauses, uniquingKeysWith: +) }
        if !causes.isEmpty {
            let sorted = causes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            log.line("failed stream opens by cause: " + sorted.map { "\($0.key) x\($0.value)" }.joined(separator: ", "))
        }
        for client in clients where !client.regressionNotes.isEmpty {
            log.line("  client \(client.index) (\(client.family)) id regressions: \(client.regressionNotes.joined(separator: "; "))")
        }
        if let failovers {
            let seen = failovers.filter { $0.kill.failoverAt != nil }.count
            var line = "failovers after a kill \(seen) of \(failovers.count) master kills"
            if let switches {
                line += "; master switches in the Sentinels' logs \(switches)"
                if switches > failovers.count { line += " (\(switches - failovers.count) not caused by a kill)" }
            }
            if !masterChanges.isEmpty {
                line += "; master changes counted by the gateways: \(masterChanges.joined(separator: ", ")) (B's since its restart)"
            }
            log.line(line)
            for (index, figures) in failovers.enumerated() {
                log.line("  " + figures.line(index + 1))
                if index < checks.lostEvents.count {
                    log.line("  " + checks.lostEvents[index].line(frozen: figures.kill.frozeReplicas, ballast: figures.kill.ballast))
                }
            }
            let reused = ChaosChecks.idsReused(acks).count + checks.lostEvents.reduce(0) { $0 + $1.reusedIDs.count }
            log.line("event ids reused for different content \(reused)")
        }
        if let clusterKills {
            var line = "cluster: slot map changes counted by the gateways: \(masterChanges.joined(separator: ", ")) (B's since its restart)"
            if let gap = Self.longestWriteGap(acks) {
                line += "; longest time a family had no acknowledged write: \(f1(gap.seconds)) s (\(gap.family), from \(f1(gap.from)) s)"
            }
            log.line(line)
            log.line("cluster: redirections followed by the gateways: \(redirections.joined(separator: "; ")) (B's since its restart)")
            for (index, kill) in clusterKills.enumerated() {
                var parts = ["  kill \(index + 1): master \(kill.node) :\(kill.port) at \(f1(kill.killedAt)) s"]
                parts.append(
                    kill.failoverAt.map { "its slots served from :\(kill.newMasterPort ?? 0) after \(f1($0 - kill.killedAt)) s" }
                        ?? "NO takeover seen"
                )
                parts.append(kill.settledAt.map { "rejoined, cluster settled after \(f1($0 - kill.killedAt)) s" } ?? "the cluster did NOT settle")
                log.line(parts.joined(separator: "; "))
            }
        }
        for group in twice.prefix(5) {
            let described = group.map {
                "\($0.status) \($0.id.prefix(8)) (sent \(LossExplanation.f2($0.sent)) s, answered \(LossExplanation.f2($0.answered)) s, \($0.gateway))"
            }
            log.line("  \(group[0].family) version \(group[0].version ?? 0) acknowledged twice: \(described.joined(separator: ", "))")
        }
        let failures = checks.failures
        guard failures.isEmpty else {
            log.line("FAILED (\(failures.count) problem\(failures.count == 1 ? "" : "s")):")
            for line in failures.prefix(20) { log.write("  \(line)") }
            if failures.count > 20 { log.write("  ... and \(failures.count - 20) more") }
            return 1
        }
        log.line("ok")
        return 0
    }

    /// The longest stretch between two acknowledged writes of one family (by their answers):
    /// how long a family could not be written, at most. Nil without two writes of one family.
    static func longestWriteGap(_ acks: [Ack]) -> (family: String, seconds: Double, from: Double)? {
        var best: (family: String, seconds: Double, from: Double)?
        for (family, times) in Dictionary(grouping: acks, by: \.family).mapValues({ $0.map(\.answered).sorted() }) {
            for (earlier, later) in zip(times, times.dropFirst()) where later - earlier > (best?.seconds ?? -1) {
                best = (family, later - earlier, earlier)
            }
        }
        return best
    }

    private func sum(_ figure: KeyPath<ClientSnapshot, Int>) -> Int {
        checks.clients.reduce(0) { $0 + $1[keyPath: figure] }
    }

    private func f1(_ value: Double) -> String { String(format: "%.1f", value) }
}
