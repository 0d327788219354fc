import ArgumentParser
import AsyncHTTPClient
import ContentQueue
import Foundation
import NIOCore
import Server

/// Uploads per second through HTTP at a fixed concurrency.
struct UploadBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uploads",
        abstract: "Upload throughput and latency through the HTTP API at a fixed number of concurrent clients."
    )

    @OptionGroup var options: BenchOptions

    @Option(help: "Concurrent clients.")
    var concurrency = 64

    @Option(help: "Uploads in all.")
    var count = 5000

    @Option(help: "Families the uploads are spread over (default: one per client, so no WATCH contention).")
    var families: Int?

    func run() async throws {
        let authority = try await options.authority()
        let run = BenchOptions.runID()
        let familyCount = families ?? concurrency
        var tokens: [String] = []
        for index in 0..<familyCount {
            let family = BenchOptions.family(index, run: run)
            tokens.append(try await authority.issue(for: Principal(family: family, user: UserID("child")!, role: .child), ttl: 3600))
        }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { _ = client.shutdown() }
        let allTokens = tokens
        let url = options.url
        let result = try await ClosedLoop.run(concurrency: concurrency, count: count) { index in
            var request = HTTPClientRequest(url: url + "/api/content/upload")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(allTokens[index % allTokens.count])")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"title":"bench \#(index)"}"#))
            let response = try await client.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            return response.status == .ok
        }
        print("uploads over HTTP: \(result.stats.count) ok, \(result.failures) failed, \(concurrency) concurrent clients, \(familyCount) families")
        print("throughput: \(fmt(result.throughput)) uploads/s")
        print("latency: \(result.stats.summary())")
        if result.failures > 0 { throw ExitCode(1) }
    }
}
