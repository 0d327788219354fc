import ArgumentParser
import Foundation

/// `flimmer-bench scale`: many streams over several gateways and several load processes.
///
/// One process may hold at most its open-file limit in streams (20,000 here), so 100,000
/// streams take several gateways, each on its own port and with no balancer in front, and as
/// many load processes (`scale-worker`, started by this command with its share of streams).
///
///     flimmer-bench scale --dev --streams 100000 --gateway-redis-url redis://127.0.0.1:6379/0 \
///       --gateways http://127.0.0.1:8081,…,http://127.0.0.1:8086 --gateway-pids 101,…,106
///
/// Layout (``ScaleLayout``): one family of `--broadcast-streams`, the rest in families of
/// `--family-size`, each family spread over every gateway. Phase 1 publishes
/// `--events-per-family` events to every small family at `--rate` events per second in all;
/// phase 2 publishes `--broadcast-events` to the broadcast family at `--broadcast-rate`. Events
/// are raw `PUBLISH invalidate:contentQueue` to the gateways' Redis, as in `fanout`. Every
/// delivery is counted; a missing one, a failed connect or a lost load process fails the run.
struct ScaleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Many streams on several gateways and load processes: memory, connect time, deliveries, broadcast."
    )

    @Option(help: "Base URLs of the gateways, comma-separated.") var gateways: String
    @Option(help: "The gateways' pids, comma-separated (memory and CPU are summed over them).") var gatewayPids: String
    @Option(help: "The Redis the gateways subscribe to, to publish on.") var gatewayRedisUrl = "redis://127.0.0.1:6379/0"
    @Option(help: "That Redis's pid (its CPU per event is reported).") var redisPid: Int32?
    @Flag(help: "Sign gateway tokens with the development secret.") var dev = false
    @Option(help: "Streams in all.") var streams = 100_000
    @Option(help: "Streams of the one broadcast family (0: no broadcast phase).") var broadcastStreams = 19_000
    @Option(help: "Streams per small family.") var familySize = 100
    @Option(help: "Events each small family gets in phase 1.") var eventsPerFamily = 5
    @Option(help: "Events per second in phase 1, over all families.") var rate = 200.0
    @Option(help: "Events to the broadcast family in phase 2.") var broadcastEvents = 5
    @Option(help: "Events per second in phase 2.") var broadcastRate = 1.0
    @Option(help: "Size of each published payload in bytes.") var payloadBytes = 128
    @Option(help: "Seconds to wait after a phase's last publish for every stream to have it.") var timeout = 15.0
    /// 15 s: one heartbeat interval (serve's default), so that every stream's heartbeat is in it.
    @Option(help: "Seconds the streams sit idle, with the gateways' CPU measured, before the events.") var idleSeconds = 15.0
    @Option(help: "Connects in flight at most, per load process.") var maxConnecting = 250
    @Option(help: "Load processes (default: one per gateway, more when one would exceed 18,000 streams).") var workers: Int?
    @Option(help: "Append one JSON object to this file.") var jsonOut: String?

    private var gatewayList: [String] { gateways.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
    private var pidList: [Int32] { gatewayPids.split(separator: ",").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) } }
    private var workerCount: Int { workers ?? Swift.max(gatewayList.count, (streams + 17_999) / 18_000) }

    func validate() throws {
        guard !gatewayList.isEmpty, pidList.count == gatewayList.count else { throw ValidationError("name each gateway's URL and pid") }
        guard rate > 0, broadcastRate > 0, payloadBytes > 0, timeout >= 0, idleSeconds > 0, maxConnecting > 0 else {
            throw ValidationError("rates, payload bytes and max-connecting must be positive")
        }
        if let problem = layout(run: "x").problem { throw ValidationError(problem) }
        let limit = FileLimit.raiseToHard()
        let perWorker = (streams + workerCount - 1) / workerCount
        guard perWorker + 200 <= limit else {
            throw ValidationError("\(perWorker) streams per load process exceed the open-file limit (\(limit)); pass more --workers")
        }
    }

    private func layout(run: String) -> ScaleLayout {
        ScaleLayout(
            run: run,
            streams: streams,
            broadcastStreams: broadcastStreams,
            familySize: familySize,
            eventsPerFamily: eventsPerFamily,
            broadcastEvents: broadcastEvents,
            workers: workerCount
        )
    }

    func run() async throws {
        FileLimit.raiseToHard()
        let layout = layout(run: BenchOptions.runID())
        let gateways = ServerProcesses(pids: pidList)
        var result = ScaleResult(
            gateways: gatewayList.count,
            workers: layout.workers,
            streams: streams,
            broadcastStreams: broadcastStreams,
            families: layout.families,
            familySize: familySize,
            payloadBytes: payloadBytes
        )
        let timesPath = FileManager.default.temporaryDirectory.appendingPathComponent("flimmer-scale-\(layout.run).times").path
        let sendTimes = try SendTimes(sharedFile: timesPath, last: layout.lastEvent, create: true)
        defer { unlink(timesPath) }
        let channel = try RESPPublisher(try Endpoint(url: gatewayRedisUrl, defaultPort: 6379), channel: "invalidate:contentQueue")

        let layoutJSON = String(decoding: try JSONEncoder().encode(layout), as: UTF8.self)
        var workers: [ScaleWorkerProcess] = []
        defer { for worker in workers { worker.terminate() } }
        for index in 0..<layout.workers {
            var arguments = [
                "--gateway", gatewayList[index % gatewayList.count], "--layout", layoutJSON, "--worker", "\(index)",
                "--send-times", timesPath, "--max-connecting", "\(maxConnecting)",
            ]
            if dev { arguments.append("--dev") }
            workers.append(try ScaleWorkerProcess(index: index, streams: Array(layout.streams(ofWorker: index)).count, arguments: arguments))
        }
        let loadProcesses = ServerProcesses(pids: workers.map(\.pid))
        await FanoutRun.wait(seconds: 300) { workers.allSatisfy { $0.snapshot.ready || $0.snapshot.exited } }
        guard workers.allSatisfy({ $0.snapshot.ready }) else {
            for worker in workers { print("load process \(worker.index): \(worker.snapshot.other.joined(separator: " / "))") }
            throw ExitCode(1)
        }
        print("\(layout.workers) load processes ready (tokens made); connecting \(streams) streams to \(gatewayList.count) gateways")

        result.pssBeforeKiB = gateways.pssKiB()
        result.rssBeforeKiB = gateways.rssKiB()
        let connectStart = Realtime.monotonic()
        for worker in workers { worker.send("connect") }
        func answered() -> Int { workers.reduce(0) { $0 + $1.snapshot.connected + $1.snapshot.failed } }
        await FanoutRun.wait(seconds: 60 + Double(streams) / 1000) { answered() >= streams || workers.contains { $0.snapshot.exited } }
        result.connectSeconds = Double(Realtime.monotonic() - connectStart) / 1e9
        print("answered \(answered()) of \(streams) stream opens in \(fmt(result.connectSeconds)) s")
        try? await Task.sleep(for: .seconds(3))
        result.pssIdleKiB = gateways.pssKiB()
        result.rssIdleKiB = gateways.rssKiB()
        // What the streams cost with no event at all (heartbeats, sweeps, rechecks): the phases
        // report their CPU per delivery with and without it.
        let idleStart = gateways.cpuMicroseconds()
        try? await Task.sleep(for: .seconds(idleSeconds))
        if let begin = idleStart, let end = gateways.cpuMicroseconds() {
            result.idleCPUShare = Double(end - begin) / 1e6 / idleSeconds
        }

        func settled() -> Int { workers.reduce(0) { $0 + $1.snapshot.settled } }
        let redis = ServerProcesses(pids: redisPid.map { [$0] } ?? [])
        var phases: [(ScalePhase, ClosedRange<Int>)] = []
        if layout.familyEvents > 0 {
            let publisher = Publisher(channel: channel, events: layout.familyEvents, rate: rate, sendTimes: sendTimes) { event in
                let (family, version) = layout.familyEvent(event)
                return BenchPayload.make(family: layout.familyName(family), version: version, bytes: payloadBytes)
            }
            var phase = ScalePhase(name: "families of \(familySize)", events: layout.familyEvents, rate: rate)
            await measure(&phase, publisher: publisher, gateways: gateways, redis: redis, load: loadProcesses) {
                settled() >= layout.regularStreams
            }
            phases.append((phase, 1...layout.familyEvents))
        }
        if layout.broadcastEvents > 0 {
            let publisher = Publisher(
                channel: channel,
                events: layout.broadcastEvents,
                rate: broadcastRate,
                sendTimes: sendTimes,
                eventOffset: layout.familyEvents
            ) { version in
                BenchPayload.make(family: layout.broadcastFamily, version: version, bytes: payloadBytes)
            }
            var phase = ScalePhase(name: "broadcast to one family of \(broadcastStreams)", events: layout.broadcastEvents, rate: broadcastRate)
            await measure(&phase, publisher: publisher, gateways: gateways, redis: redis, load: loadProcesses) { settled() >= streams }
            phases.append((phase, layout.familyEvents + 1...layout.lastEvent))
        }

        for worker in workers { worker.send("stop") }
        await FanoutRun.wait(seconds: 60) { workers.allSatisfy { $0.snapshot.report != nil || $0.snapshot.exited } }
        var tally = ScaleTally(lastEvent: layout.lastEvent, phases: 2)
        for worker in workers {
            let state = worker.snapshot
            result.workerMessages += state.other.map { "\(worker.index): \($0)" }
            guard let report = state.report else {
                result.failures.append("load process \(worker.index) sent no report")
                continue
            }
            tally.add(report, into: &result)
        }
        for (phase, events) in phases {
            var phase = phase
            tally.fill(&phase, events: events, index: events.lowerBound > layout.familyEvents ? 1 : 0, layout: layout, sendTimes: sendTimes)
            if let idle = result.idleCPUShare, let cpu = phase.gatewayCPUSeconds, phase.delivered > 0 {
                phase.cpuPerDeliveryAboveIdleMicroseconds = (cpu - idle * phase.seconds) * 1e6 / Double(phase.delivered)
            }
            result.phases.append(phase)
        }
        result.readLagP99 = tally.readLag.milliseconds(at: 99)
        judge(&result)
        result.printBlock()
        if let jsonOut { try JSONLines.append(result, to: jsonOut) }
        if !result.failures.isEmpty { throw ExitCode(1) }
    }

    /// Publishes one phase and waits for `done` (or the timeout), with the CPU of everything over it.
    private func measure(
        _ phase: inout ScalePhase,
        publisher: Publisher,
        gateways: ServerProcesses,
        redis: ServerProcesses,
        load: ServerProcesses,
        done: () -> Bool
    ) async {
        let gatewayStart = gateways.cpuMicroseconds()
        let redisStart = redis.cpuMicroseconds()
        let loadStart = load.cpuMicroseconds()
        let start = Realtime.monotonic()
        publisher.start()
        let outcome = await publisher.wait()
        await FanoutRun.wait(seconds: timeout, until: done)
        phase.seconds = Double(Realtime.monotonic() - start) / 1e9
        if let begin = gatewayStart, let end = gateways.cpuMicroseconds() { phase.gatewayCPUSeconds = Double(end - begin) / 1e6 }
        // /proc counts CPU in 10 ms ticks: over a handful of events the figure would be noise.
        if let begin = redisStart, let end = redis.cpuMicroseconds(), outcome.published >= 100 {
            phase.redisCPUPerEventMicroseconds = Double(end - begin) / Double(outcome.published)
        }
        if let begin = loadStart, let end = load.cpuMicroseconds() { phase.receiversCPUShare = Double(end - begin) / 1e6 / phase.seconds }
        phase.published = outcome.published
        phase.publishError = outcome.error
        phase.publishRateAchieved = outcome.achievedRate
    }

    private func judge(_ result: inout ScaleResult) {
        result.notConnected = streams - result.connected - result.failedConnects
        if let before = result.pssBeforeKiB, let idle = result.pssIdleKiB, result.connected > 0 {
            result.pssPerStreamKiB = Double(idle - before) / Double(result.connected)
        }
        if let before = result.rssBeforeKiB, let idle = result.rssIdleKiB, result.connected > 0 {
            result.rssPerStreamKiB = Double(idle - before) / Double(result.connected)
        }
        let missing = result.phases.reduce(0) { $0 + $1.missing }
        let counts = [("missing", missing), ("failed connects", result.failedConnects), ("unanswered connects", result.notConnected)]
        result.failures += counts.filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }
        if result.phases.contains(where: { $0.publishError != nil }) { result.failures.append("publish error") }
        for phase in result.phases where (phase.publishRateAchieved ?? phase.rate) < 0.9 * phase.rate {
            result.warnings.append("\(phase.name): the publisher fell behind its schedule (asked \(fmt(phase.rate))/s)")
        }
        if let lag = result.readLagP99, lag > 50 { result.warnings.append("the load processes read \(fmt(lag)) ms (p99) late: they are behind") }
    }
}
