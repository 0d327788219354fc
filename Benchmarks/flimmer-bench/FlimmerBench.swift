import ArgumentParser

/// `flimmer-bench`: load and latency measurements against a running gateway, and the chaos run.
@main
struct FlimmerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flimmer-bench",
        abstract:
            "Measure FlimmerSync: fan-out against Nchan and Redis, reconnect storms, upload throughput, the Redis-only floor, and faults under load.",
        subcommands: [FanoutBench.self, ScaleBench.self, ScaleWorker.self, StormBench.self, UploadBench.self, StoreBench.self, ChaosBench.self]
    )
}
