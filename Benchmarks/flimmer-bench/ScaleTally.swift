/// The load processes' reports added up: per event, how many streams got it and when the last did.
struct ScaleTally {
    var eventCounts: [Int]
    var lastArrival: [Int64]
    var phaseHistograms: [LatencyHistogram]
    var readLag = LatencyHistogram()

    init(lastEvent: Int, phases: Int) {
        eventCounts = Array(repeating: 0, count: lastEvent + 1)
        lastArrival = Array(repeating: 0, count: lastEvent + 1)
        phaseHistograms = Array(repeating: LatencyHistogram(), count: phases)
    }

    mutating func add(_ report: ScaleWorkerReport, into result: inout ScaleResult) {
        for (event, count) in report.eventCounts.enumerated() where event < eventCounts.count {
            eventCounts[event] += Int(count)
            lastArrival[event] = Swift.max(lastArrival[event], report.lastArrival[event])
        }
        for (phase, histogram) in report.phaseHistograms.enumerated() where phase < phaseHistograms.count {
            phaseHistograms[phase].merge(histogram)
        }
        readLag.merge(report.readLag)
        result.connected += report.connected
        result.failedConnects += report.failed
        result.failureReasons.merge(report.failureReasons, uniquingKeysWith: +)
        result.streamsAtFinal += report.streamsAtFinal
        result.closedByServer += report.closedByServer
        result.parseMisses += report.parseMisses
        result.chunkErrors += report.chunkErrors
        result.duplicates += report.duplicates
        result.beyondFinal += report.beyondFinal
        result.untimestamped += report.untimestamped
    }

    /// Deliveries and latencies of events `events` (one phase), the phase's histogram `index`.
    func fill(_ phase: inout ScalePhase, events: ClosedRange<Int>, index: Int, layout: ScaleLayout, sendTimes: SendTimes) {
        var allStreams = LatencyHistogram()
        for event in events {
            let expected = layout.expectedStreams(event)
            phase.expected += expected
            phase.delivered += eventCounts[event]
            if eventCounts[event] == expected, sendTimes[event] > 0 { allStreams.record(lastArrival[event] - sendTimes[event]) }
        }
        phase.missing = phase.expected - phase.delivered
        let every = phaseHistograms[index]
        phase.latencyP50 = every.milliseconds(at: 50)
        phase.latencyP99 = every.milliseconds(at: 99)
        phase.latencyMax = every.maxMilliseconds
        phase.eventsOnAllStreams = Int(allStreams.count)
        phase.allStreamsP50 = allStreams.milliseconds(at: 50)
        phase.allStreamsP99 = allStreams.milliseconds(at: 99)
        phase.allStreamsMax = allStreams.maxMilliseconds
        if let cpu = phase.gatewayCPUSeconds, phase.delivered > 0 { phase.cpuPerDeliveryMicroseconds = cpu * 1e6 / Double(phase.delivered) }
    }
}
