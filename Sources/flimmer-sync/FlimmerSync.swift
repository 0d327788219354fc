import ArgumentParser

/// `flimmer-sync`: the gateway and its tools.
@main
struct FlimmerSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flimmer-sync",
        abstract: "Real-time sync for Flimmer: content queue in Redis, invalidations over Server-Sent Events.",
        subcommands: [Serve.self, Token.self, Inspect.self, Watch.self]
    )
}
