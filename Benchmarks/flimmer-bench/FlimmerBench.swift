import ArgumentParser

/// `flimmer-bench`: load and latency measurements against a running gateway.
@main
struct FlimmerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flimmer-bench",
        abstract: "Measure FlimmerSync: fan-out against Nchan and Redis, reconnect storms, upload throughput, and the Redis-only floor.",
        subcommands: [FanoutBench.self, StormBench.self, UploadBench.self, StoreBench.self]
    )
}
