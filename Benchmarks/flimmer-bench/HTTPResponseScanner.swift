/// Finds the end of one HTTP/1.1 response in bytes read from a keep-alive connection.
///
/// The upload bench only needs three facts per response: its status, where it ends and
/// whether the server will close the connection after it. A full HTTP parser (NIOHTTP1's
/// codec, AsyncHTTPClient) would cost the load tool more CPU than the server it measures on a
/// 2-core machine, so this reads the head byte by byte and nothing else. It supports what the
/// gateway sends to an upload: `Content-Length` bodies. A chunked body, or a head without a
/// length on a status that has a body, is reported as `.unsupported`, and the caller drops the
/// connection: miscounting bytes would corrupt every later response on it.
struct HTTPResponseScanner {
    /// What the bytes read so far hold.
    enum Outcome: Equatable {
        /// Not a whole response yet: read more.
        case incomplete
        /// One whole response of `length` bytes (head and body) starts the buffer.
        case complete(status: Int, length: Int, closes: Bool)
        /// Bytes this scanner cannot frame; the connection is unusable.
        case unsupported(String)
    }

    /// Longest head accepted: a head growing past this means we are not reading HTTP.
    static let maxHeadBytes = 16 * 1024

    /// Scans `bytes` (the start of the connection's unread input) for one whole response.
    static func scan(_ bytes: [UInt8]) -> Outcome {
        guard let headEnd = headEnd(in: bytes) else {
            return bytes.count > maxHeadBytes ? .unsupported("response head longer than \(maxHeadBytes) bytes") : .incomplete
        }
        let head = bytes[0..<headEnd]
        var lines = head.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).makeIterator()
        guard let statusLine = lines.next(), let status = statusCode(statusLine) else {
            return .unsupported("no HTTP/1.x status line")
        }
        var contentLength: Int?
        var closes = false
        while let rawLine = lines.next() {
            let line = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine[...]
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = line[line.startIndex..<colon]
            let value = trimmed(line[line.index(after: colon)...])
            if equalsLowercased(name, "content-length") {
                guard let parsed = Int(String(decoding: value, as: UTF8.self)), parsed >= 0 else {
                    return .unsupported("bad Content-Length")
                }
                contentLength = parsed
            } else if equalsLowercased(name, "transfer-encoding") {
                return .unsupported("Transfer-Encoding (chunked bodies are not framed by this client)")
            } else if equalsLowercased(name, "connection"), equalsLowercased(value, "close") {
                closes = true
            }
        }
        // 1xx, 204 and 304 never carry a body; everything else must say how long it is,
        // because on a kept-alive connection the body cannot end at EOF.
        let length: Int
        if let contentLength {
            length = contentLength
        } else if status < 200 || status == 204 || status == 304 {
            length = 0
        } else {
            return .unsupported("status \(status) without Content-Length")
        }
        let total = headEnd + 4 + length
        return bytes.count >= total ? .complete(status: status, length: total, closes: closes) : .incomplete
    }

    /// Index of the `\r\n\r\n` that ends the head, if it has arrived.
    private static func headEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = 0
        let last = bytes.count - 4
        while index <= last {
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 {
                return index
            }
            index += 1
        }
        return nil
    }

    /// The three digits after `HTTP/1.x `.
    private static func statusCode(_ line: ArraySlice<UInt8>) -> Int? {
        let prefix = Array("HTTP/1.".utf8)
        guard line.count >= 12, line.prefix(prefix.count).elementsEqual(prefix) else { return nil }
        let digits = line.dropFirst(9).prefix(3)
        var code = 0
        for byte in digits {
            guard byte >= 48, byte <= 57 else { return nil }
            code = code * 10 + Int(byte - 48)
        }
        return code
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == 32 || first == 9 { slice = slice.dropFirst() }
        while let last = slice.last, last == 32 || last == 9 { slice = slice.dropLast() }
        return slice
    }

    /// ASCII case-insensitive comparison with a lowercase literal (header names and tokens).
    private static func equalsLowercased(_ bytes: ArraySlice<UInt8>, _ lower: StaticString) -> Bool {
        guard bytes.count == lower.utf8CodeUnitCount else { return false }
        return lower.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { byte, want in
                (byte >= 65 && byte <= 90 ? byte + 32 : byte) == want
            }
        }
    }
}
