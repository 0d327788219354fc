import Glibc

/// Strips `Transfer-Encoding: chunked` framing from a response body, in place, across reads.
///
/// Used only when a response head says chunked. The gateway's fast path sends a close-delimited
/// body (no framing: the body ends with the connection), and so does nginx + Nchan; the gateway
/// chunks a stream only when it was not the connection's first request (Hummingbird answers
/// those), which this tool's streams (one request per connection) never are. Removing the size
/// lines before the marker search means a chunk boundary can never split a `"version":` marker
/// in a way the search cannot see; framing errors are counted, not fatal.
struct ChunkDecoder {
    private enum State: UInt8 { case size, sizeLine, data, dataEnd, trailer }

    private var state = State.size
    private var remaining = 0
    private var sawDigit = false
    /// Bytes that broke the chunked framing; should stay 0.
    private(set) var errors = 0
    /// The zero-length last chunk was seen: the body ended.
    var ended: Bool { state == .trailer }

    /// Decodes `count` bytes at `bytes` in place; returns how many body bytes now start at `bytes`.
    mutating func decode(_ bytes: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
        var read = 0
        var written = 0
        while read < count {
            switch state {
            case .size:
                let byte = bytes[read]
                if let digit = Self.hex(byte) {
                    remaining = remaining &* 16 &+ digit
                    sawDigit = true
                    read += 1
                } else if byte == 13 || byte == 10 || byte == UInt8(ascii: ";") {
                    state = .sizeLine
                } else {
                    errors += 1
                    read += 1
                }
            case .sizeLine:
                // Skips chunk extensions and the CR up to the LF that ends the size line.
                if bytes[read] == 10 {
                    if !sawDigit { errors += 1 }
                    state = remaining == 0 ? .trailer : .data
                    sawDigit = false
                }
                read += 1
            case .data:
                let take = Swift.min(remaining, count - read)
                if written != read { memmove(bytes + written, bytes + read, take) }
                written += take
                read += take
                remaining -= take
                if remaining == 0 { state = .dataEnd }
            case .dataEnd:
                let byte = bytes[read]
                if byte == 10 {
                    state = .size
                    read += 1
                } else if byte == 13 {
                    read += 1
                } else {
                    errors += 1
                    state = .size
                }
            case .trailer:
                read = count
            }
        }
        return written
    }

    private static func hex(_ byte: UInt8) -> Int? {
        switch byte {
        case 48...57: Int(byte - 48)
        case 97...102: Int(byte - 87)
        case 65...70: Int(byte - 55)
        default: nil
        }
    }
}
