import Foundation

/// The measurements of one target run; printed as a block and appended as one JSON line.
struct FanoutResult: Codable, Sendable {
    var target: String
    /// When the target's run started (ISO 8601, UTC), to tell runs apart in a results file.
    var startedAt = ISO8601DateFormatter().string(from: Date())
    var streams: Int
    var events: Int
    var rate: Double
    var payloadBytes: Int
    var connected = 0
    var failedConnects = 0
    /// Streams neither accepted nor failed when the connect phase timed out.
    var notConnected = 0
    var connectSeconds = 0.0
    /// TcpExt ListenOverflows during the connect phase (machine-wide).
    var listenOverflows: Int?
    var failureReasons: [String: Int] = [:]
    var delivered = 0
    var expected = 0
    var missing = 0
    var streamsAtFinal = 0
    var closedByServer = 0
    /// Per delivery: kernel receive time − send time, in ms.
    var latencyP50: Double?
    var latencyP90: Double?
    var latencyP99: Double?
    var latencyMax: Double?
    /// Per event that reached every stream: the last stream's receive time − send time, in ms.
    var allStreamsP50: Double?
    var allStreamsP99: Double?
    var allStreamsMax: Double?
    var eventsOnAllStreams = 0
    var pssBeforeKiB: Int?
    var pssIdleKiB: Int?
    var pssEndKiB: Int?
    var rssBeforeKiB: Int?
    var rssIdleKiB: Int?
    var rssEndKiB: Int?
    var pssPerStreamKiB: Double?
    var rssPerStreamKiB: Double?
    var serverCPUMicroseconds: Int?
    var cpuPerDeliveryMicroseconds: Double?
    var published = 0
    var publishError: String?
    var publishRateAchieved: Double?
    var publisherMaxLatenessMs = 0.0
    /// The load tool's receiver thread and whole process, as a share of one core over the publish phase.
    var receiverCPUShare: Double?
    var toolCPUShare: Double?
    var publishPhaseSeconds = 0.0
    /// The receiver's read time − the kernel's receive time, per read that delivered events, in ms.
    var readLagP50: Double?
    var readLagP99: Double?
    var readLagMax: Double?
    var parseMisses = 0
    var chunkErrors = 0
    var duplicates = 0
    var beyondFinal = 0
    var untimestamped = 0
    var negativeLatencies = 0
    var warnings: [String] = []
    /// Why this target's run failed (missing deliveries, failed connects, …); empty when it passed.
    var failures: [String] = []
    var failed: Bool { !failures.isEmpty }

    /// Nchan and Redis: yardsticks whose failure is reported but does not fail the run.
    var isPeer: Bool { target != FanoutTarget.Kind.gateway.rawValue }

    /// Whether a fanout invocation fails: when the gateway was measured, only its own result
    /// counts; without it, any failed target does.
    static func runFailed(_ results: [FanoutResult]) -> Bool {
        let gateway = results.filter { !$0.isPeer }
        return (gateway.isEmpty ? results : gateway).contains(where: \.failed)
    }

    /// `ok`, or `FAILED (` the reasons `)`; the same words in the block, the table and scripts/bench's summary.
    var verdict: String { failed ? "FAILED (\(failures.joined(separator: ", ")))" : "ok" }

    func printBlock() {
        print("== \(target): \(streams) streams × \(events) events at \(fmt(rate))/s, \(payloadBytes)-byte payload")
        print(
            "connects: \(connected) accepted, \(failedConnects) failed, \(notConnected) unanswered, in \(fmt(connectSeconds)) s; listen queue overflows \(listenOverflows.map(String.init) ?? "n/a")"
        )
        for (reason, count) in failureReasons.sorted(by: { $0.key < $1.key }) { print("  failure: \(reason) × \(count)") }
        print(
            "published: \(published) of \(events), achieved \(fmt(publishRateAchieved ?? .nan))/s, latest start \(fmt(publisherMaxLatenessMs)) ms behind schedule"
        )
        if let publishError { print("  publish error: \(publishError)") }
        print(
            "deliveries: \(delivered) of \(expected), missing \(missing); streams at the final version \(streamsAtFinal) of \(streams); closed by the server \(closedByServer)"
        )
        print(
            "latency, every delivery (kernel receive − send): p50 \(Self.ms(latencyP50)), p90 \(Self.ms(latencyP90)), p99 \(Self.ms(latencyP99)), max \(Self.ms(latencyMax))"
        )
        print(
            "latency, all streams per event (\(eventsOnAllStreams) events complete): p50 \(Self.ms(allStreamsP50)), p99 \(Self.ms(allStreamsP99)), max \(Self.ms(allStreamsMax))"
        )
        print(
            "server PSS: \(Self.kib(pssBeforeKiB)) before, \(Self.kib(pssIdleKiB)) idle with streams, \(Self.kib(pssEndKiB)) at end; \(Self.kib(pssPerStreamKiB)) per stream"
        )
        print(
            "server RSS: \(Self.kib(rssBeforeKiB)) before, \(Self.kib(rssIdleKiB)) idle with streams, \(Self.kib(rssEndKiB)) at end; \(Self.kib(rssPerStreamKiB)) per stream"
        )
        if let serverCPUMicroseconds {
            print(
                "server CPU over the publish phase: \(fmt(Double(serverCPUMicroseconds) / 1e6)) s, \(fmt(cpuPerDeliveryMicroseconds ?? .nan)) µs per delivery"
            )
        }
        print(
            "load tool CPU over \(fmt(publishPhaseSeconds)) s: receiver thread \(Self.percent(receiverCPUShare)), whole tool \(Self.percent(toolCPUShare)) of one core"
        )
        print(
            "load tool read lag (read time − kernel receive time): p50 \(Self.ms(readLagP50)), p99 \(Self.ms(readLagP99)), max \(Self.ms(readLagMax))"
        )
        let oddities = [
            ("parse misses", parseMisses), ("chunk framing errors", chunkErrors), ("duplicates", duplicates),
            ("versions never published", beyondFinal),
            ("deliveries without a kernel timestamp", untimestamped), ("negative latencies", negativeLatencies),
        ]
        .filter { $0.1 > 0 }
        if !oddities.isEmpty { print("oddities: " + oddities.map { "\($0.0) \($0.1)" }.joined(separator: ", ")) }
        for warning in warnings { print("WARNING: \(warning)") }
        print("RESULT: \(verdict)" + (failed && isPeer ? "; a peer's result, reported only: the exit status is the gateway's" : ""))
    }

    /// One line of JSON, appended to `path`.
    func append(to path: String) throws { try JSONLines.append(self, to: path) }

    static func ms(_ value: Double?) -> String { value.map { "\(fmt($0)) ms" } ?? "n/a" }
    static func kib(_ value: Int?) -> String { value.map { "\($0) KiB" } ?? "n/a" }
    static func kib(_ value: Double?) -> String { value.map { "\(fmt($0)) KiB" } ?? "n/a" }
    static func percent(_ value: Double?) -> String { value.map { "\(fmt($0 * 100))%" } ?? "n/a" }
}
