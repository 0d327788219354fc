import Foundation

/// The parts of an HTTP/1.1 response head the load tool needs: status, chunked or not, Content-Length.
struct HTTPHead {
    var status = 0
    var chunked = false
    var contentLength: Int?

    init(_ bytes: ArraySlice<UInt8>) {
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: true)
        if let statusLine = lines.first {
            let parts = statusLine.split(separator: " ")
            if parts.count >= 2 { status = Int(parts[1]) ?? 0 }
        }
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces).lowercased()
            if name == "transfer-encoding", value.contains("chunked") { chunked = true }
            if name == "content-length" { contentLength = Int(value) }
        }
    }

    /// The index just past the blank line that ends the head, if the head is complete.
    static func end(of buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index + 4
        }
        return nil
    }
}
