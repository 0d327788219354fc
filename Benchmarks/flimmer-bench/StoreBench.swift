import ArgumentParser
import ContentQueue
import Foundation
import Logging
import RedisClient

/// The same upload transactions straight against Redis, without HTTP: the floor for `uploads`.
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store-uploads",
        abstract: "Upload transactions straight against Redis (no HTTP): the floor the HTTP figure is compared with."
    )

    @Option(name: .customLong("redis-url"), help: "Redis to write to.")
    var redisURL = "redis://127.0.0.1:6379/0"

    @Option(help: "Concurrent writers (also the connection pool size).")
    var concurrency = 64

    @Option(help: "Uploads in all.")
    var count = 5000

    @Option(help: "Families the uploads are spread over (default: one per writer).")
    var families: Int?

    @Option(name: .customLong("json-out"), help: "Append the result as one JSON object (one line) to this file.")
    var jsonOut: String?

    func run() async throws {
        var configuration = try RedisConfiguration(url: redisURL)
        configuration.poolSize = concurrency
        var logger = Logger(label: "flimmer-bench")
        logger.logLevel = .error
        let redis = RedisClient(configuration: configuration, logger: logger)
        let store = ContentQueueStore(redis: redis, logger: logger)
        let run = BenchOptions.runID()
        let familyIDs = (0..<(families ?? concurrency)).map { BenchOptions.family($0, run: run) }
        let child = UserID("child")!
        let me = ServerProcesses.current
        let cpuBefore = me.cpuSeconds()
        let result = try await ClosedLoop.run(concurrency: concurrency, count: count) { index in
            _ = try await store.upload(family: familyIDs[index % familyIDs.count], child: child, draft: ContentDraft(title: "bench \(index)"))
            return true
        }
        print("uploads straight to Redis: \(result.stats.count) ok, \(concurrency) concurrent writers, \(familyIDs.count) families")
        print("throughput: \(fmt(result.throughput)) uploads/s")
        print("latency: \(result.stats.summary())")
        // Reported like `uploads` does; here the tool's CPU includes hiredis and the pool, so
        // a high figure means the floor itself is limited by the client, not by Redis.
        var toolCPU: Double?
        if let before = cpuBefore, let after = me.cpuSeconds(), result.elapsed > .zero {
            let percent = (after - before) / (result.elapsed.milliseconds / 1000) * 100
            print("load tool cpu: \(fmt(percent))% of one core")
            toolCPU = percent
        }
        await redis.shutdown()
        if let jsonOut {
            let report = ThroughputReport(
                bench: "store-uploads",
                target: Self.redacted(redisURL),
                concurrency: concurrency,
                families: familyIDs.count,
                requested: count,
                result: result,
                toolCPUPercent: toolCPU
            )
            try report.append(to: jsonOut)
        }
    }

    /// The URL without its password: the JSON file is kept with results and may be shared.
    private static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
