import ArgumentParser
import AsyncHTTPClient
import ContentQueue
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Server

/// Opens N streams, uploads M items at R per second, and measures when each stream was told.
struct RelayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Upload-to-stream latency: N SSE streams, M uploads at R per second, every delivery counted."
    )

    @OptionGroup var options: BenchOptions

    @Option(help: "SSE streams to hold open.")
    var streams = 100

    @Option(help: "Families the streams and uploads are spread over.")
    var families = 1

    @Option(help: "Uploads to make.")
    var events = 200

    @Option(help: "Uploads per second.")
    var rate = 50.0

    @Option(name: .customLong("server-pid"), help: "The gateway's pid, to report its CPU and memory.")
    var serverPID: Int32?

    func validate() throws {
        guard streams > 0, families > 0, events > 0, rate > 0, families <= streams else {
            throw ValidationError("streams, families, events and rate must be positive, and families <= streams")
        }
    }

    func run() async throws {
        let authority = try await options.authority()
        let run = BenchOptions.runID()
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: streams + 64)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { _ = client.shutdown() }
        let server = serverPID.map(ProcessStats.init)
        let me = ProcessStats(pid: getpid())
        let rssBefore = server?.rssKiB()

        var parentTokens: [String] = []
        var childTokens: [String] = []
        for index in 0..<families {
            let family = BenchOptions.family(index, run: run)
            parentTokens.append(try await authority.issue(for: Principal(family: family, user: UserID("parent")!, role: .parent), ttl: 3600))
            childTokens.append(try await authority.issue(for: Principal(family: family, user: UserID("child")!, role: .child), ttl: 3600))
        }

        let recorders = (0..<streams).map { StreamRecorder(family: $0 % families) }
        let url = options.url
        let parents = parentTokens
        let children = childTokens
        let readers = Task {
            await withTaskGroup(of: Void.self) { group in
                for recorder in recorders {
                    group.addTask { await recorder.run(client: client, url: url, token: parents[recorder.family]) }
                }
            }
        }
        let openDeadline = ContinuousClock.now + .seconds(60)
        while recorders.contains(where: { recorder in recorder.state.withLockedValue { !$0.opened && $0.failure == nil } }),
            ContinuousClock.now < openDeadline
        {
            try await Task.sleep(for: .milliseconds(20))
        }
        let failedToOpen = recorders.filter { $0.state.withLockedValue { !$0.opened } }.count
        let rssOpen = server?.rssKiB()
        let serverCPUStart = server?.cpuSeconds()
        let myCPUStart = me.cpuSeconds()
        let wallStart = ContinuousClock.now

        // Uploads go out on schedule, each in its own task, so a slow one does not delay the next.
        let sent = NIOLockedValueBox<[Int: [Int: ContinuousClock.Instant]]>([:])
        let uploadFailures = NIOLockedValueBox(0)
        let interval = Duration.seconds(1 / rate)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<events {
                try await Task.sleep(until: wallStart + interval * index, clock: .continuous)
                let family = index % families
                group.addTask {
                    let start = ContinuousClock.now
                    var request = HTTPClientRequest(url: url + "/api/content/upload")
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer \(children[family])")
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: #"{"title":"bench \#(index)"}"#))
                    let response = try await client.execute(request, timeout: .seconds(30))
                    let body = try await response.body.collect(upTo: 1 << 20)
                    guard response.status == .ok,
                        let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
                        let version = json["version"] as? Int
                    else {
                        uploadFailures.withLockedValue { $0 += 1 }
                        return
                    }
                    sent.withLockedValue { $0[family, default: [:]][version] = start }
                }
            }
            try await group.waitForAll()
        }

        // Wait for the deliveries to settle: every stream has every version of its family, or 10 s pass.
        let expected = sent.withLockedValue { $0 }
        let settleDeadline = ContinuousClock.now + .seconds(10)
        func missing() -> Int {
            recorders.reduce(0) { total, recorder in
                let versions = expected[recorder.family] ?? [:]
                return total + recorder.state.withLockedValue { state in versions.keys.filter { state.arrivals[$0] == nil }.count }
            }
        }
        while missing() > 0, ContinuousClock.now < settleDeadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let wall = ContinuousClock.now - wallStart
        let serverCPU = difference(server?.cpuSeconds(), serverCPUStart)
        let myCPU = difference(me.cpuSeconds(), myCPUStart)
        let rssAfter = server?.rssKiB()

        var all = Stats()
        var lastStream = Stats()
        var delivered = 0
        var expectedDeliveries = 0
        for (family, versions) in expected {
            let familyRecorders = recorders.filter { $0.family == family }
            for (version, start) in versions {
                expectedDeliveries += familyRecorders.count
                var latest: Duration = .zero
                var complete = true
                for recorder in familyRecorders {
                    if let arrival = recorder.state.withLockedValue({ $0.arrivals[version] }) {
                        delivered += 1
                        all.add((arrival - start).milliseconds)
                        latest = Swift.max(latest, arrival - start)
                    } else {
                        complete = false
                    }
                }
                if complete { lastStream.add(latest.milliseconds) }
            }
        }
        let finalVersions = expected.mapValues { $0.keys.max() ?? 0 }
        let atFinal = recorders.filter { recorder in
            recorder.state.withLockedValue { $0.highest } >= (finalVersions[recorder.family] ?? 0)
        }.count
        readers.cancel()

        print("relay: \(streams) streams over \(families) families, \(events) uploads at \(rate)/s, \(fmt(wall.milliseconds / 1000)) s")
        print("streams opened: \(streams - failedToOpen), failed: \(failedToOpen)")
        print("uploads acknowledged: \(expected.values.reduce(0) { $0 + $1.count }), failed: \(uploadFailures.withLockedValue { $0 })")
        print("deliveries: \(delivered) of \(expectedDeliveries) expected, missing \(expectedDeliveries - delivered)")
        print("streams at their family's final version: \(atFinal) of \(streams)")
        print("upload sent -> event on a stream (every delivery): \(all.summary())")
        print("upload sent -> event on the last stream (per upload): \(lastStream.summary())")
        if let rssBefore, let rssOpen, let rssAfter {
            let perStream = Double(rssOpen - rssBefore) * 1024 / Double(Swift.max(1, streams - failedToOpen))
            print("server RSS: \(rssBefore) KiB before streams, \(rssOpen) KiB with streams open, \(rssAfter) KiB after; \(fmt(perStream / 1024)) KiB per stream")
        }
        if let serverCPU, delivered > 0 {
            print("server CPU: \(fmt(serverCPU)) s, \(fmt(serverCPU / Double(delivered) * 1e6)) µs per delivery")
        }
        if let myCPU {
            let share = myCPU / Swift.max(wall.milliseconds / 1000, 0.001)
            print("load tool CPU: \(fmt(myCPU)) s (\(fmt(share * 100))% of one core)")
            if share > 0.8 { print("WARNING: the load tool used most of a core; it may be the bottleneck") }
        }
        if delivered < expectedDeliveries {
            throw ExitCode(1)
        }
    }
}

func difference(_ end: Double?, _ start: Double?) -> Double? {
    guard let end, let start else { return nil }
    return end - start
}
