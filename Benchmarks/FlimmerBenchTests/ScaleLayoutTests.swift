import Foundation
import Testing

@testable import flimmer_bench

/// The scale run's layout, its shared send times and the receiver's per-family event numbers:
/// every event must be counted once, for the streams of the family it was published to.
@Suite("Scale load tool: layout")
struct ScaleLayoutTests {
    /// 1,050 streams: a broadcast family of 190, then 9 families (8 of 100 and one of 60).
    private static let layout = ScaleLayout(
        run: "t",
        streams: 1050,
        broadcastStreams: 190,
        familySize: 100,
        eventsPerFamily: 3,
        broadcastEvents: 2,
        workers: 4
    )

    @Test func workersHoldEveryStreamOnce() {
        let layout = Self.layout
        let held = (0..<layout.workers).flatMap { Array(layout.streams(ofWorker: $0)) }
        #expect(held.sorted() == Array(0..<layout.streams))
    }

    @Test func everyEventIsForTheStreamsOfItsFamily() {
        let layout = Self.layout
        #expect(layout.families == 9)
        #expect(layout.familyEvents == 27)
        #expect(layout.lastEvent == 29)
        // Which streams each event number reaches, from the streams' side.
        var reached = [Int: Set<String>]()
        var streamsPerEvent = [Int: Int]()
        for stream in 0..<layout.streams {
            let events = layout.events(ofStream: stream)
            for version in 1...events.final {
                let event = events.event(version)
                reached[event, default: []].insert(layout.family(ofStream: stream))
                streamsPerEvent[event, default: 0] += 1
            }
        }
        #expect(reached.keys.sorted() == Array(1...layout.lastEvent))
        for event in 1...layout.lastEvent {
            // One family per event, and the one the publisher names for it.
            #expect(reached[event]?.count == 1)
            let published =
                event <= layout.familyEvents ? layout.familyName(layout.familyEvent(event).family) : layout.broadcastFamily
            #expect(reached[event] == [published])
            #expect(streamsPerEvent[event] == layout.expectedStreams(event))
        }
        #expect(layout.expectedStreams(9) == 60)
        #expect(layout.expectedStreams(28) == 190)
        // The publisher's version of an event is the version its streams count it under.
        let (family, version) = layout.familyEvent(20)
        let member = layout.broadcastStreams + family * layout.familySize
        #expect(layout.events(ofStream: member).event(version) == 20)
    }

    @Test func impossibleLayoutsAreRefused() {
        var layout = Self.layout
        #expect(layout.problem == nil)
        layout.broadcastStreams = 2000
        #expect(layout.problem != nil)
        layout = Self.layout
        layout.broadcastEvents = 0
        #expect(layout.problem != nil)
        layout = Self.layout
        layout.workers = 0
        #expect(layout.problem != nil)
    }

    @Test func sendTimesAreSharedThroughTheirFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("scale-\(UUID().uuidString).times").path
        defer { unlink(path) }
        let writer = try SendTimes(sharedFile: path, last: 10, create: true)
        let reader = try SendTimes(sharedFile: path, last: 10, create: false)
        #expect(reader[3] == 0)
        writer[3] = 1_234_567
        writer[10] = 42
        #expect(reader[3] == 1_234_567)
        #expect(reader[10] == 42)
        #expect(reader[11] == 0)
        #expect(throws: (any Error).self) { try SendTimes(sharedFile: path + ".missing", last: 10, create: false) }
    }

    @Test func histogramsSurviveTheirJSON() throws {
        var histogram = LatencyHistogram()
        for value in [5, 900, 1_000_000, 1_000_001, 250_000_000] { histogram.record(Int64(value)) }
        histogram.record(-3)
        let copy = try JSONDecoder().decode(LatencyHistogram.self, from: JSONEncoder().encode(histogram))
        #expect(copy.count == histogram.count)
        #expect(copy.negative == 1)
        #expect(copy.maxValue == histogram.maxValue)
        for p in [1.0, 50, 90, 99, 100] { #expect(copy.percentile(p) == histogram.percentile(p)) }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(LatencyHistogram.self, from: Data(#"{"buckets":[[1]],"count":1,"max":1,"negative":0}"#.utf8))
        }
    }

    /// Two streams of different families on one server that sends versions 1...20 to each: each
    /// stream's versions land on its own family's event numbers and in its own phase's histogram.
    @Test func theReceiverCountsEachStreamUnderItsFamilysEvents() async throws {
        let server = try SplittingServer(streams: 2, events: 20)
        let sendTimes = SendTimes(last: 40)
        for event in 1...40 { sendTimes[event] = Realtime.now() }
        let receiver = FanoutReceiver(
            plan: .init(
                endpoint: try Endpoint(url: "http://127.0.0.1:\(server.port)", defaultPort: 80),
                requests: Array(repeating: Array("GET /sub/x HTTP/1.1\r\nHost: x\r\n\r\n".utf8), count: 2),
                http: true,
                finalSeq: 40,
                maxInFlight: 1,
                events: [StreamEvents(offset: 1, stride: 1, final: 20), StreamEvents(offset: 21, stride: 1, final: 20)],
                phaseStarts: [21]
            ),
            sendTimes: sendTimes
        )
        receiver.start()
        server.start()
        await FanoutRun.wait(seconds: 20) { receiver.settled.load(ordering: .relaxed) >= 2 }
        await receiver.stop()
        #expect(receiver.eventCounts[1...40].allSatisfy { $0 == 1 })
        #expect(receiver.phaseHistograms.map(\.count) == [20, 20])
        #expect(receiver.counters.beyondFinal == 0)
    }
}
