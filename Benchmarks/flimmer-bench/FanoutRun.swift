import Foundation
import Synchronization

/// Runs one target: connect N streams, sit idle, publish M events at R per second, settle, measure.
struct FanoutRun: Sendable {
    var streams: Int
    var events: Int
    var rate: Double
    var payloadBytes: Int
    /// Seconds to wait after the last publish for every stream to have it.
    var settleTimeout: Double
    var maxInFlight: Int
    /// Seconds the streams sit idle before the memory sample, so that the server's buffers settle.
    var idleSeconds = 2.0

    func measure(_ target: FanoutTarget) async -> FanoutResult {
        var result = FanoutResult(target: target.kind.rawValue, streams: streams, events: events, rate: rate, payloadBytes: payloadBytes)
        result.expected = streams * events
        let run = BenchOptions.runID()
        let family = FanoutTarget.family(run: run)
        let processes = target.processes
        result.pssBeforeKiB = processes.pssKiB()
        result.rssBeforeKiB = processes.rssKiB()

        let channel: any PublishChannel
        let requests: [[UInt8]]
        do {
            channel = try target.publishChannel(run: run)
            requests = try await target.requests(streams: streams, run: run)
        } catch {
            result.publishError = "setup: \(error)"
            result.missing = result.expected
            result.failures = ["setup: \(error)"]
            return result
        }
        let sendTimes = SendTimes(last: events)
        let receiver = FanoutReceiver(
            plan: .init(endpoint: target.endpoint, requests: requests, http: target.http, finalSeq: events, maxInFlight: maxInFlight),
            sendTimes: sendTimes
        )
        let connectStart = Realtime.monotonic()
        let overflowsStart = ListenOverflows.read()
        receiver.start()
        // Generous: 19k connects take a few seconds; a stuck SYN retransmits after 1, 3, 7 s.
        let connectTimeout = 30.0 + Double(streams) / 500
        await Self.wait(seconds: connectTimeout) { receiver.connected.load(ordering: .relaxed) + receiver.failed.load(ordering: .relaxed) >= streams }
        result.connectSeconds = Double(Realtime.monotonic() - connectStart) / 1e9
        result.listenOverflows = ListenOverflows.since(overflowsStart)
        try? await Task.sleep(for: .seconds(idleSeconds))
        result.pssIdleKiB = processes.pssKiB()
        result.rssIdleKiB = processes.rssKiB()

        let serverCPUStart = processes.cpuMicroseconds()
        let receiverCPUStart = receiver.threadCPU()
        let toolCPUStart = Realtime.processCPU()
        let phaseStart = Realtime.monotonic()
        let publisher = Publisher(channel: channel, events: events, rate: rate, sendTimes: sendTimes) { version in
            BenchPayload.make(family: family, version: version, bytes: payloadBytes)
        }
        publisher.start()
        let outcome = await publisher.wait()
        await Self.wait(seconds: settleTimeout) { receiver.settled.load(ordering: .relaxed) >= streams }
        let phaseSeconds = Double(Realtime.monotonic() - phaseStart) / 1e9
        let serverCPUEnd = processes.cpuMicroseconds()
        let receiverCPUEnd = receiver.threadCPU()
        let toolCPUEnd = Realtime.processCPU()
        result.pssEndKiB = processes.pssKiB()
        result.rssEndKiB = processes.rssKiB()
        await receiver.stop()

        result.publishPhaseSeconds = phaseSeconds
        result.published = outcome.published
        result.publishError = outcome.error
        result.publishRateAchieved = outcome.achievedRate
        result.publisherMaxLatenessMs = Double(outcome.maxLateness) / 1e6
        if let receiverCPUStart, let receiverCPUEnd { result.receiverCPUShare = Double(receiverCPUEnd - receiverCPUStart) / 1e9 / phaseSeconds }
        result.toolCPUShare = Double(toolCPUEnd - toolCPUStart) / 1e9 / phaseSeconds
        collect(receiver, sendTimes: sendTimes, into: &result)
        if let serverCPUStart, let serverCPUEnd {
            result.serverCPUMicroseconds = serverCPUEnd - serverCPUStart
            if result.delivered > 0 { result.cpuPerDeliveryMicroseconds = Double(serverCPUEnd - serverCPUStart) / Double(result.delivered) }
        }
        if result.connected > 0 {
            if let before = result.pssBeforeKiB, let idle = result.pssIdleKiB {
                result.pssPerStreamKiB = Double(idle - before) / Double(result.connected)
            }
            if let before = result.rssBeforeKiB, let idle = result.rssIdleKiB {
                result.rssPerStreamKiB = Double(idle - before) / Double(result.connected)
            }
        }
        judge(&result, outcome: outcome)
        return result
    }

    /// Delivery counts, latencies and oddities from the stopped receiver.
    private func collect(_ receiver: FanoutReceiver, sendTimes: SendTimes, into result: inout FanoutResult) {
        result.connected = receiver.connected.load(ordering: .relaxed)
        result.failedConnects = receiver.failed.load(ordering: .relaxed)
        result.notConnected = streams - result.connected - result.failedConnects
        result.failureReasons = receiver.counters.failures
        result.delivered = receiver.streams.reduce(0) { $0 + $1.delivered }
        result.missing = result.expected - result.delivered
        result.streamsAtFinal = receiver.streams.filter { $0.lastSeq >= events }.count
        result.closedByServer = receiver.counters.closedByServer
        let latency = receiver.histogram
        result.latencyP50 = latency.milliseconds(at: 50)
        result.latencyP90 = latency.milliseconds(at: 90)
        result.latencyP99 = latency.milliseconds(at: 99)
        result.latencyMax = latency.maxMilliseconds
        result.negativeLatencies = Int(latency.negative)
        result.readLagP50 = receiver.readLag.milliseconds(at: 50)
        result.readLagP99 = receiver.readLag.milliseconds(at: 99)
        result.readLagMax = receiver.readLag.maxMilliseconds
        var allStreams = LatencyHistogram()
        for version in 1...events where Int(receiver.eventCounts[version]) == streams && sendTimes[version] > 0 {
            allStreams.record(receiver.lastArrival[version] - sendTimes[version])
        }
        result.eventsOnAllStreams = Int(allStreams.count)
        result.allStreamsP50 = allStreams.milliseconds(at: 50)
        result.allStreamsP99 = allStreams.milliseconds(at: 99)
        result.allStreamsMax = allStreams.maxMilliseconds
        result.parseMisses = receiver.counters.parseMisses
        result.chunkErrors = receiver.streams.reduce(0) { $0 + $1.chunk.errors }
        result.duplicates = receiver.counters.duplicates
        result.beyondFinal = receiver.counters.beyondFinal
        result.untimestamped = receiver.counters.untimestamped
    }

    /// Fails the target's run on any missing event or failed connect, and warns when the load tool may be the bottleneck.
    private func judge(_ result: inout FanoutResult, outcome: Publisher.Outcome) {
        let scheduledSpan = Double(Swift.max(events - 1, 1)) / rate
        if let share = result.receiverCPUShare, share > 0.85 {
            result.warnings.append("the receiver thread used \(fmt(share * 100))% of a core: the load tool may be the bottleneck")
        }
        if result.publisherMaxLatenessMs / 1000 > 0.1 * scheduledSpan || (outcome.achievedRate ?? rate) < 0.9 * rate {
            result.warnings.append(
                "the publisher fell behind its schedule by more than 10%, so the asked rate was not reached (each publish waits for the server's reply: a server slow to accept publishes shows here too)"
            )
        }
        if let perStream = result.pssPerStreamKiB ?? result.rssPerStreamKiB, perStream < 1 {
            result.warnings.append(
                "memory per stream is about 0: the server probably kept memory freed after an earlier, larger run; restart it for a memory figure"
            )
        }
        if let lag = result.readLagP99, lag > 50 {
            result.warnings.append("the receiver read events \(fmt(lag)) ms (p99) after the kernel had them: the load tool is behind")
        }
        if let overflows = result.listenOverflows, overflows > 0 {
            result.warnings.append(
                "a listen queue overflowed \(overflows) times while the streams connected (SYNs retried after 1 s; machine-wide, so other processes count too): lower --max-connecting or raise the server's backlog"
            )
        }
        if result.untimestamped > 0 { result.warnings.append("some deliveries had no kernel timestamp; their latency uses the time of the read") }
        let counts = [("missing", result.missing), ("failed connects", result.failedConnects), ("unanswered connects", result.notConnected)]
        result.failures = counts.filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" } + (outcome.error != nil ? ["publish error"] : [])
    }

    /// Polls `condition` every 10 ms until it holds or `seconds` pass.
    static func wait(seconds: Double, until condition: () -> Bool) async {
        let deadline = Realtime.monotonic() + Int64(seconds * 1e9)
        while !condition(), Realtime.monotonic() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
    }
}
