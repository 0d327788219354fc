import ArgumentParser

/// `flimmer-bench`: load and latency measurements against a running gateway.
@main
struct FlimmerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flimmer-bench",
        abstract: "Measure FlimmerSync: upload-to-stream latency, upload throughput, and the Redis-only floor.",
        subcommands: [RelayBench.self, UploadBench.self, StoreBench.self]
    )
}
