import ArgumentParser
import Foundation
import Synchronization

/// `flimmer-bench storm`: every stream drops at once and comes back at once, behind.
///
/// Opens N gateway streams of one fresh family and records each one's last `id:`; publishes
/// version 1 so that they all have it; closes every socket at once; publishes `--missed` more
/// versions while they are away; then reconnects all N (at most `--max-connecting` connects in
/// flight) with `Last-Event-ID: <its last id>`. The gateway answers a stream that is behind with
/// one `invalidate` carrying the current version (reason `catchup`). Reported: the time from the
/// start of the reconnect until each stream has the latest version. Fails (exit status 1) when a
/// stream is not caught up within `--deadline` seconds.
///
/// Events are written the way the channel contract asks (`SET contentQueue:{F}:version` and
/// `PUBLISH` in one MULTI/EXEC), because catch-up reads the version key, not the channel.
///
///     flimmer-bench storm --streams 10000 --gateway http://127.0.0.1:8080 \
///       --gateway-redis-url redis://127.0.0.1:6379/0 --dev --deadline 5
struct StormBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storm",
        abstract: "Reconnect storm: N streams drop at once, miss events, reconnect at once with Last-Event-ID."
    )

    @Option(help: "Streams.") var streams = 10000
    @Option(help: "Base URL of a running gateway.") var gateway = "http://127.0.0.1:8080"
    @Option(help: "The Redis the gateway uses.") var gatewayRedisUrl = "redis://127.0.0.1:6379/0"
    @Flag(help: "Sign tokens with the development secret instead of FLIMMER_JWT_SECRET.") var dev = false
    @Option(help: "Seconds within which every stream must be caught up after the reconnect starts.") var deadline = 5.0
    @Option(help: "Versions published while the streams are away.") var missed = 3
    @Option(help: "Seconds the streams stay away before reconnecting.") var away = 1.0
    /// 250, as for fanout: below the gateway's listen backlog of 256, so no SYN is dropped and retried after 1 s.
    @Option(help: "Connects in flight at most (keeps the server's listen queue from overflowing).") var maxConnecting = 250

    func validate() throws {
        guard streams > 0, deadline > 0, missed > 0, away >= 0, maxConnecting > 0 else {
            throw ValidationError("streams, deadline, missed and max-connecting must be positive")
        }
    }

    func run() async throws {
        FileLimit.raiseToHard()
        let run = BenchOptions.runID()
        let family = FanoutTarget.family(run: run)
        let redisEndpoint = try Endpoint(url: gatewayRedisUrl, defaultPort: 6379)
        let target = FanoutTarget(
            kind: .gateway,
            endpoint: try Endpoint(url: gateway, defaultPort: 80),
            publishEndpoint: redisEndpoint,
            processes: ServerProcesses(pids: []),
            authority: try await BenchOptions.authority(dev: dev)
        )
        let publisher = try RESPPublisher(redisEndpoint, channel: "invalidate:contentQueue", versionKey: "contentQueue:{\(family)}:version")
        func publish(_ version: Int) throws {
            try publisher.publish(BenchPayload.make(family: family, version: version, bytes: 128), version: version)
        }

        // 1. N streams, all at version 1, each with its last id.
        let first = FanoutReceiver(
            plan: .init(
                endpoint: target.endpoint,
                requests: try await target.requests(streams: streams, run: run),
                http: true,
                finalSeq: 1,
                maxInFlight: maxConnecting,
                recordIDs: true
            ),
            sendTimes: SendTimes(last: 1)
        )
        first.start()
        await FanoutRun.wait(seconds: 30 + Double(streams) / 500) {
            first.connected.load(ordering: .relaxed) + first.failed.load(ordering: .relaxed) >= streams
        }
        try publish(1)
        await FanoutRun.wait(seconds: 10) { first.settled.load(ordering: .relaxed) >= streams }
        let closeStart = Realtime.monotonic()
        await first.stop()
        let closeMs = Double(Realtime.monotonic() - closeStart) / 1e6
        let ids = first.streams.map { $0.lastID.isEmpty ? nil : String(decoding: $0.lastID, as: UTF8.self) }
        let opened = first.connected.load(ordering: .relaxed)
        let atOne = first.streams.filter { $0.lastSeq >= 1 }.count
        print("storm: \(streams) streams of family \(family)")
        print(
            "before: \(opened) accepted, \(first.failed.load(ordering: .relaxed)) failed; \(atOne) at version 1, \(ids.compactMap { $0 }.count) with an id; all closed in \(fmt(closeMs)) ms"
        )

        // 2. Versions move on while they are away.
        let final = 1 + missed
        for version in 2...final { try publish(version) }
        try await Task.sleep(for: .seconds(away))

        // 3. All reconnect at once with their last id; time until each has the final version.
        let sendTimes = SendTimes(last: final)
        let again = FanoutReceiver(
            plan: .init(
                endpoint: target.endpoint,
                requests: try await target.requests(streams: streams, run: run, lastEventIDs: ids),
                http: true,
                finalSeq: final,
                maxInFlight: maxConnecting
            ),
            sendTimes: sendTimes
        )
        // Only the final version has a "send time": the reconnect's start, so latency = time to catch up.
        let overflowsStart = ListenOverflows.read()
        sendTimes[final] = Realtime.now()
        again.start()
        await FanoutRun.wait(seconds: deadline) { again.settled.load(ordering: .relaxed) >= streams }
        let overflows = ListenOverflows.since(overflowsStart)
        await again.stop()

        let caughtUp = again.histogram
        let deadlineNs = Int64(deadline * 1e9)
        let inTime = again.streams.filter { $0.lastSeq >= final }.count
        print(
            "reconnect: \(again.connected.load(ordering: .relaxed)) accepted, \(again.failed.load(ordering: .relaxed)) failed; listen queue overflows \(overflows.map(String.init) ?? "n/a") (each costs a 1 s SYN retry)"
        )
        for (reason, count) in again.counters.failures.sorted(by: { $0.key < $1.key }) { print("  failure: \(reason) × \(count)") }
        print("caught up to version \(final) within \(fmt(deadline)) s: \(inTime) of \(streams)")
        print(
            "reconnect start → stream has version \(final) (over the \(caughtUp.count) caught up): p50 \(ms(caughtUp.percentile(50))) ms, p99 \(ms(caughtUp.percentile(99))) ms, max \(ms(caughtUp.count > 0 ? caughtUp.maxValue : nil)) ms"
        )
        let failed = inTime < streams || opened < streams || atOne < streams || caughtUp.maxValue > deadlineNs
        print(failed ? "RESULT: FAILED" : "RESULT: ok")
        if failed { throw ExitCode(1) }
    }
}
