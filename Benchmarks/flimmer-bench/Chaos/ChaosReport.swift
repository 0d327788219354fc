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
            "upload errors: \(load.uploadErrors.summary); decision errors: \(load.decisionErrors.summary); "
                + "failed stream opens \(sum(\.openFailures)), stalled streams \(sum(\.stalls)), "
                + "shutdown notices \(sum(\.shutdownNotices)), id regressions \(sum(\.regressions)), "
                + "versions acknowledged twice \(twice.count), "
                + "client 0 paused \(f1(clients.first?.pausedSeconds ?? 0)) s, settled in \(f1(settled)) s, total \(f1(total)) s"
        )
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

    private func sum(_ figure: KeyPath<ClientSnapshot, Int>) -> Int {
        checks.clients.reduce(0) { $0 + $1[keyPath: figure] }
    }

    private func f1(_ value: Double) -> String { String(format: "%.1f", value) }
}
