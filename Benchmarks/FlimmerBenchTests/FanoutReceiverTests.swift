import Foundation
import Glibc
import Synchronization
import Testing

@testable import flimmer_bench

/// The receiver against a local server that writes chunked event streams in 7-byte pieces with
/// a chunk boundary inside each `"version":` marker: every version must still be counted once.
@Suite("Fanout load tool: receiver")
struct FanoutReceiverTests {
    @Test func everyVersionIsCountedWhateverTheSplits() async throws {
        let streams = 3
        let events = 40
        let server = try SplittingServer(streams: streams, events: events)
        let receiver = FanoutReceiver(
            plan: .init(
                endpoint: try Endpoint(url: "http://127.0.0.1:\(server.port)", defaultPort: 80),
                requests: Array(repeating: Array("GET /sub/x HTTP/1.1\r\nHost: x\r\n\r\n".utf8), count: streams),
                http: true,
                finalSeq: events,
                recordIDs: true
            ),
            sendTimes: SendTimes(last: events)
        )
        receiver.start()
        server.start()
        await FanoutRun.wait(seconds: 20) { receiver.settled.load(ordering: .relaxed) >= streams }
        await receiver.stop()
        #expect(receiver.connected.load(ordering: .relaxed) == streams)
        for stream in receiver.streams {
            #expect(stream.delivered == events)
            #expect(stream.lastSeq == events)
            #expect(stream.chunk.errors == 0)
            #expect(String(decoding: stream.lastID, as: UTF8.self) == "e-\(events)")
        }
        #expect(receiver.counters.parseMisses == 0)
        #expect(receiver.counters.duplicates == 0)
    }
}
