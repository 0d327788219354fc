import ArgumentParser
import ContentQueue
import Foundation
import Server

/// Uploads per second through HTTP at a fixed concurrency, with a client lean enough that the
/// gateway, not the tool, is what gets measured (see `PollClosedLoop`).
struct UploadBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uploads",
        abstract: "Upload throughput and latency through the HTTP API at a fixed number of concurrent clients.",
        discussion: """
            Each client is one keep-alive HTTP/1.1 connection that sends POST /api/content/upload \
            and waits for the whole response before sending the next (a closed loop). A response \
            other than 200 counts as a failure. The tool's own CPU is reported: above 85% of a \
            core, the tool may have been the bottleneck.
            """
    )

    @OptionGroup var options: BenchOptions

    @Option(help: "Concurrent clients (one keep-alive connection each).")
    var concurrency = 64

    @Option(help: "Uploads in all.")
    var count = 5000

    @Option(help: "Families the uploads are spread over (default: one per client, so no WATCH contention).")
    var families: Int?

    @Option(help: "Seconds one upload may take before it counts as failed and its connection is replaced.")
    var timeout = 30.0

    @Option(name: .customLong("json-out"), help: "Append the result as one JSON object (one line) to this file.")
    var jsonOut: String?

    /// The tool's share of one core above which its figures are suspect.
    static let cpuWarningPercent = 85.0

    func validate() throws {
        guard concurrency > 0, count > 0 else { throw ValidationError("--concurrency and --count must be positive") }
        if let families, families <= 0 { throw ValidationError("--families must be positive") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        let target = try HTTPSocketTarget(url: options.url)
        let authority = try await options.authority()
        let run = BenchOptions.runID()
        let familyCount = families ?? concurrency
        // Connection c always uploads as family c % families: with the default (one family
        // per client) no two uploads in flight touch the same family, so no WATCH retries.
        var heads: [[UInt8]] = []
        for index in 0..<familyCount {
            let family = BenchOptions.family(index, run: run)
            let token = try await authority.issue(for: Principal(family: family, user: UserID("child")!, role: .child), ttl: 3600)
            let head =
                "POST /api/content/upload HTTP/1.1\r\nHost: \(target.hostHeader)\r\n"
                + "Authorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: "
            heads.append(Array(head.utf8))
        }
        let allHeads = heads
        let loop = PollClosedLoop(
            target: target,
            concurrency: concurrency,
            count: count,
            timeout: .milliseconds(Int(timeout * 1000)),
            expectedStatus: 200
        ) { connection, index in
            let body = Array(#"{"title":"bench \#(index)"}"#.utf8)
            var request = allHeads[connection % allHeads.count]
            request.reserveCapacity(request.count + body.count + 8)
            request += Array("\(body.count)\r\n\r\n".utf8)
            request += body
            return request
        }

        let me = ServerProcesses.current
        let cpuBefore = me.cpuSeconds()
        // The loop blocks in poll(); on its own thread it leaves the concurrency pool alone.
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<ClosedLoop.Result, Never>) in
            Thread { continuation.resume(returning: loop.run()) }.start()
        }
        var toolCPU: Double?
        if let before = cpuBefore, let after = me.cpuSeconds(), result.elapsed > .zero {
            toolCPU = (after - before) / (result.elapsed.milliseconds / 1000) * 100
        }

        print("uploads over HTTP: \(result.stats.count) ok, \(result.failures) failed, \(concurrency) concurrent clients, \(familyCount) families")
        print("throughput: \(fmt(result.throughput)) uploads/s")
        print("latency: \(result.stats.summary())")
        if let toolCPU {
            print("load tool cpu: \(fmt(toolCPU))% of one core")
            if toolCPU > Self.cpuWarningPercent {
                print("warning: the load tool used more than \(Int(Self.cpuWarningPercent))% of a core; it may have limited the throughput")
            }
        }
        for (reason, times) in result.failureReasons.sorted(by: { $0.value > $1.value }) {
            print("failed \(times)x: \(reason)")
        }
        if let jsonOut {
            let report = ThroughputReport(
                bench: "uploads",
                target: options.url,
                concurrency: concurrency,
                families: familyCount,
                requested: count,
                result: result,
                toolCPUPercent: toolCPU
            )
            try report.append(to: jsonOut)
        }
        if result.failures > 0 { throw ExitCode(1) }
    }
}
