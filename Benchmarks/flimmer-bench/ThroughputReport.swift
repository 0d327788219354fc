import Foundation

/// One closed-loop run (`uploads` or `store-uploads`) as a JSON object, appended as one line
/// to the `--json-out` file, so that scripts/bench can collect a whole matrix in one file and
/// the HTTP figure and its Redis-only floor are read side by side.
struct ThroughputReport: Encodable {
    /// The subcommand: "uploads" or "store-uploads".
    let bench: String
    /// What was loaded: the gateway's URL or the Redis URL.
    let target: String
    let concurrency: Int
    let families: Int
    let requested: Int
    let ok: Int
    let failures: Int
    let failureReasons: [String: Int]
    let elapsedSeconds: Double
    let perSecond: Double
    let latencyMs: Latency
    /// The load tool's own CPU over the run, in percent of one core (nil when /proc is absent).
    let toolCPUPercent: Double?
    /// When the run ended, ISO 8601 UTC.
    let finishedAt: String

    /// Latency percentiles in milliseconds (null when no request succeeded).
    struct Latency: Encodable {
        let p50: Double?
        let p90: Double?
        let p99: Double?
        let max: Double?
    }

    init(bench: String, target: String, concurrency: Int, families: Int, requested: Int, result: ClosedLoop.Result, toolCPUPercent: Double?) {
        func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }
        self.bench = bench
        self.target = target
        self.concurrency = concurrency
        self.families = families
        self.requested = requested
        ok = result.stats.count
        failures = result.failures
        failureReasons = result.failureReasons
        elapsedSeconds = result.elapsed.milliseconds / 1000
        perSecond = result.throughput
        latencyMs = Latency(
            p50: finite(result.stats.percentile(50)),
            p90: finite(result.stats.percentile(90)),
            p99: finite(result.stats.percentile(99)),
            max: finite(result.stats.max)
        )
        self.toolCPUPercent = toolCPUPercent
        finishedAt = ISO8601DateFormatter().string(from: Date())
    }

    /// Appends this report as one line of JSON to `path`, creating the file if needed.
    func append(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(self)
        line.append(UInt8(ascii: "\n"))
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
    }
}
