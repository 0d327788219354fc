/// Splits an event stream's bytes into events, as a browser's EventSource does (the parts
/// `watch` needs: `id`, `event`, `data`, `retry`; comments are skipped).
struct SSEEventParser {
    struct Event: Equatable {
        var id: String?
        var event: String
        var data: String
    }

    private var line: [UInt8] = []
    private var lastWasCR = false
    /// The last `id:` seen, kept across events as EventSource keeps it (an id-only frame sets it too).
    private(set) var lastEventID: String?
    private var event = ""
    private var data: [String] = []
    /// The last `retry:` the server sent, in milliseconds.
    private(set) var retryMilliseconds: Int?

    /// Feeds bytes; returns the events they completed.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            // A line ends with CRLF, LF or CR.
            if byte == UInt8(ascii: "\n"), lastWasCR {
                lastWasCR = false
                continue
            }
            lastWasCR = byte == UInt8(ascii: "\r")
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if let event = endLine() { events.append(event) }
            } else {
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer {
                event = ""
                data = []
            }
            guard !data.isEmpty else { return nil }
            return Event(id: lastEventID, event: event.isEmpty ? "message" : event, data: data.joined(separator: "\n"))
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let text = String(decoding: line, as: UTF8.self)
        let name: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            name = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            name = Substring(text)
            value = ""
        }
        switch name {
        case "id": lastEventID = String(value)
        case "event": event = String(value)
        case "data": data.append(String(value))
        case "retry": retryMilliseconds = Int(value) ?? retryMilliseconds
        default: break
        }
        return nil
    }
}
