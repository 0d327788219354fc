import Glibc
import Testing

@testable import flimmer_bench

/// The load tool's parsing, without a server: chunked framing, the histogram and the cmsg timestamp.
@Suite("Fanout load tool: parsing")
struct FanoutParsingTests {
    @Test func chunkDecoderJoinsChunksSplitAnywhere() {
        let wire = Array("5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\n\r\n".utf8)
        for split in 1..<wire.count {
            var decoder = ChunkDecoder()
            var body: [UInt8] = []
            for part in [Array(wire[..<split]), Array(wire[split...])] {
                var bytes = part
                let count = bytes.withUnsafeMutableBufferPointer { decoder.decode($0.baseAddress!, count: $0.count) }
                body += bytes[..<count]
            }
            #expect(body == Array("helloabc".utf8), "split at \(split)")
            #expect(decoder.errors == 0)
            #expect(decoder.ended)
        }
    }

    @Test func histogramPercentilesAreWithinOnePercent() {
        var histogram = LatencyHistogram()
        for microseconds in 1...100_000 { histogram.record(Int64(microseconds) * 1000) }
        for (p, expected) in [(50.0, 50_000_000.0), (99.0, 99_000_000.0), (1.0, 1_000_000.0)] {
            let value = Double(histogram.percentile(p)!)
            #expect(abs(value - expected) / expected < 0.01, "p\(p): \(value)")
        }
        #expect(histogram.maxValue == 100_000_000)
        #expect(histogram.count == 100_000)
    }

    @Test func timestampIsReadFromTheControlMessage() {
        let control = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
        defer { control.deallocate() }
        control.storeBytes(of: UInt64(32), toByteOffset: 0, as: UInt64.self)
        control.storeBytes(of: SOL_SOCKET, toByteOffset: 8, as: Int32.self)
        control.storeBytes(of: Int32(35), toByteOffset: 12, as: Int32.self)
        control.storeBytes(of: Int64(1_795_570_574), toByteOffset: 16, as: Int64.self)
        control.storeBytes(of: Int64(879_000_001), toByteOffset: 24, as: Int64.self)
        #expect(FanoutReceiver.timestamp(control, length: 32) == 1_795_570_574_879_000_001)
        #expect(FanoutReceiver.timestamp(control, length: 16) == nil)
    }

    @Test func findLocatesMarkersAcrossFalseStarts() {
        var bytes = Array(#"{"key":"x","vers":1,"version":42}"#.utf8)
        let marker = Array(#""version":"#.utf8)
        let found = bytes.withUnsafeMutableBufferPointer { FanoutReceiver.find(marker, in: $0.baseAddress!, from: 0, to: $0.count) }
        #expect(found == 20)
        let none = bytes.withUnsafeMutableBufferPointer { FanoutReceiver.find(marker, in: $0.baseAddress!, from: 21, to: $0.count) }
        #expect(none == nil)
    }
}
