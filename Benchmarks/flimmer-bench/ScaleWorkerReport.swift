/// What one scale worker counted, sent to the coordinator as one JSON line when it stops.
struct ScaleWorkerReport: Codable, Sendable {
    var worker: Int
    var streams: Int
    var connected = 0
    var failed = 0
    var failureReasons: [String: Int] = [:]
    /// CLOCK_REALTIME when the first connect started and when the last stream was answered (ns).
    var connectStartedAt: Int64 = 0
    var connectEndedAt: Int64?
    var closedByServer = 0
    var streamsAtFinal = 0
    var parseMisses = 0
    var chunkErrors = 0
    var duplicates = 0
    var beyondFinal = 0
    var untimestamped = 0
    /// Per event number: how many of this worker's streams received it, and the latest kernel receive time.
    var eventCounts: [Int32] = []
    var lastArrival: [Int64] = []
    /// Per phase: every delivery's kernel receive time − send time.
    var phaseHistograms: [LatencyHistogram] = []
    var readLag = LatencyHistogram()
    /// The receiver thread's CPU time while it ran, in seconds.
    var receiverCPUSeconds = 0.0

    init(worker: Int, streams: Int) {
        self.worker = worker
        self.streams = streams
    }

    /// The counts of a stopped receiver.
    mutating func collect(_ receiver: FanoutReceiver) {
        connected = receiver.connected.load(ordering: .relaxed)
        failed = receiver.failed.load(ordering: .relaxed)
        failureReasons = receiver.counters.failures
        closedByServer = receiver.counters.closedByServer
        streamsAtFinal = receiver.streams.filter { $0.lastSeq >= $0.events.final }.count
        parseMisses = receiver.counters.parseMisses
        chunkErrors = receiver.streams.reduce(0) { $0 + $1.chunk.errors }
        duplicates = receiver.counters.duplicates
        beyondFinal = receiver.counters.beyondFinal
        untimestamped = receiver.counters.untimestamped
        eventCounts = receiver.eventCounts
        lastArrival = receiver.lastArrival
        phaseHistograms = receiver.phaseHistograms
        readLag = receiver.readLag
        receiverCPUSeconds = Double(receiver.threadCPU() ?? 0) / 1e9
    }
}
