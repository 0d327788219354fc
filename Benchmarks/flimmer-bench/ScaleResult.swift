import Foundation

/// The scale run's measurements, over all gateways and load processes: printed as a block and
/// appended as one JSON line (with `target` and `streamsAtFinal`, so scripts/bench's summary reads it).
struct ScaleResult: Codable, Sendable {
    var target = FanoutTarget.Kind.gateway.rawValue
    var startedAt = ISO8601DateFormatter().string(from: Date())
    var gateways: Int
    var workers: Int
    var streams: Int
    var broadcastStreams: Int
    var families: Int
    var familySize: Int
    var payloadBytes: Int
    var connected = 0
    var failedConnects = 0
    var notConnected = 0
    var failureReasons: [String: Int] = [:]
    /// From the first connect until every stream was answered, over all load processes.
    var connectSeconds = 0.0
    var pssBeforeKiB: Int?
    var pssIdleKiB: Int?
    var rssBeforeKiB: Int?
    var rssIdleKiB: Int?
    var pssPerStreamKiB: Double?
    var rssPerStreamKiB: Double?
    /// The gateways' CPU with every stream open and no event, in cores (heartbeats, sweeps, rechecks).
    var idleCPUShare: Double?
    var phases: [ScalePhase] = []
    var streamsAtFinal = 0
    var closedByServer = 0
    var parseMisses = 0
    var chunkErrors = 0
    var duplicates = 0
    var beyondFinal = 0
    var untimestamped = 0
    var readLagP99: Double?
    /// Lines the load processes printed besides their protocol (errors, warnings).
    var workerMessages: [String] = []
    var warnings: [String] = []
    var failures: [String] = []

    var verdict: String { failures.isEmpty ? "ok" : "FAILED (\(failures.joined(separator: ", ")))" }

    func printBlock() {
        print(
            "== gateway × \(gateways): \(streams) streams (\(families) families of up to \(familySize), and one of \(broadcastStreams)), \(workers) load processes, \(payloadBytes)-byte payload"
        )
        print(
            "connects: \(connected) accepted, \(failedConnects) failed, \(notConnected) unanswered, all in \(fmt(connectSeconds)) s (\(fmt(Double(connected) / Swift.max(connectSeconds, 0.001))) per second)"
        )
        for (reason, count) in failureReasons.sorted(by: { $0.key < $1.key }) { print("  failure: \(reason) × \(count)") }
        print(
            "gateways' PSS, summed: \(FanoutResult.kib(pssBeforeKiB)) before, \(FanoutResult.kib(pssIdleKiB)) idle with streams; \(FanoutResult.kib(pssPerStreamKiB)) per stream (RSS \(FanoutResult.kib(rssPerStreamKiB)))"
        )
        if let idleCPUShare {
            print(
                "gateways at rest with every stream open: \(FanoutResult.percent(idleCPUShare)) of one core, \(fmt(idleCPUShare * 1e6 / Double(Swift.max(connected, 1)))) µs per stream per second (heartbeats, sweeps, rechecks)"
            )
        }
        for phase in phases { phase.printBlock() }
        print("streams at their family's final version: \(streamsAtFinal) of \(streams); closed by a gateway \(closedByServer)")
        let oddities = [
            ("parse misses", parseMisses), ("chunk framing errors", chunkErrors), ("duplicates", duplicates),
            ("versions never published", beyondFinal), ("deliveries without a kernel timestamp", untimestamped),
        ]
        .filter { $0.1 > 0 }
        if !oddities.isEmpty { print("oddities: " + oddities.map { "\($0.0) \($0.1)" }.joined(separator: ", ")) }
        print("load processes' read lag p99: \(FanoutResult.ms(readLagP99))")
        for message in workerMessages.prefix(20) { print("load process: \(message)") }
        for warning in warnings { print("WARNING: \(warning)") }
        print("RESULT: \(verdict)")
    }
}
