import ArgumentParser
import AsyncHTTPClient
import ContentQueue
import Foundation
import NIOConcurrencyHelpers
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
        let next = NIOLockedValueBox(0)
        let count = self.count
        let concurrency = self.concurrency
        let allTokens = tokens
        let url = options.url
        let start = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    var failures = 0
                    while true {
                        let index = next.withLockedValue { value -> Int in
                            defer { value += 1 }
                            return value
                        }
                        guard index < count else { break }
                        var request = HTTPClientRequest(url: url + "/api/content/upload")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(allTokens[index % allTokens.count])")
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(string: #"{"title":"bench \#(index)"}"#))
                        let sent = ContinuousClock.now
                        let response = try await client.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        if response.status == .ok {
                            latencies.append((ContinuousClock.now - sent).milliseconds)
                        } else {
                            failures += 1
                        }
                    }
                    return (latencies, failures)
                }
            }
            return try await group.reduce(into: [([Double], Int)]()) { $0.append($1) }
        }
        let elapsed = ContinuousClock.now - start
        var stats = Stats()
        for (latencies, _) in results { stats.add(contentsOf: latencies) }
        let failures = results.reduce(0) { $0 + $1.1 }
        print("uploads over HTTP: \(stats.count) ok, \(failures) failed, \(concurrency) concurrent clients, \(familyCount) families")
        print("throughput: \(fmt(Double(stats.count) / (elapsed.milliseconds / 1000))) uploads/s")
        print("latency: \(stats.summary())")
        if failures > 0 { throw ExitCode(1) }
    }
}
