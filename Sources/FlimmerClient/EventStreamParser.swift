/// Turns the bytes of a `text/event-stream` into events, by the HTML standard's rules
/// ("Interpreting an event stream"). Feed it bytes in any split; it keeps partial lines.
///
/// Lines are cut on bytes before decoding: CR and LF never occur inside a UTF-8 sequence, so a
/// multi-byte character split across chunks is decoded whole.
public struct EventStreamParser: Sendable {
    private static let cr: UInt8 = 0x0D
    private static let lf: UInt8 = 0x0A
    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The id the client would send as `Last-Event-ID` now. Survives `reset()`.
    public private(set) var lastEventID: String = ""
    /// The reconnection time from the last valid `retry:` field, in milliseconds. Survives `reset()`.
    public private(set) var retryMilliseconds: Int?

    private var line: [UInt8] = []
    private var atStreamStart = true
    // A CR ended the last line; an LF right after it (maybe in the next chunk) belongs to that line end.
    private var skipNextLF = false
    private var dataBuffer = ""
    private var hasData = false
    private var eventType = ""
    private var lastEventIDBuffer = ""

    /// A parser for the start of a stream; `lastEventID` resumes an earlier one (e.g. an ETag).
    public init(lastEventID: String = "") {
        self.lastEventID = lastEventID
        self.lastEventIDBuffer = lastEventID
    }

    /// Consumes `bytes` and returns the events they complete, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        items(bytes).compactMap(\.event)
    }

    /// Consumes `bytes` and returns everything they complete, in order: events, comments and
    /// `retry:` fields.
    public mutating func items(_ bytes: some Sequence<UInt8>) -> [EventStreamItem] {
        var items: [EventStreamItem] = []
        for byte in bytes {
            if skipNextLF {
                skipNextLF = false
                if byte == Self.lf { continue }
            }
            if byte == Self.cr {
                skipNextLF = true
                if let item = endLine() { items.append(item) }
            } else if byte == Self.lf {
                if let item = endLine() { items.append(item) }
            } else {
                line.append(byte)
            }
        }
        return items
    }

    /// Starts over for a new connection: drops a partial line and an undispatched event, but
    /// keeps the last event id and the retry time (the standard keeps both across reconnects).
    public mutating func reset() {
        line = []
        atStreamStart = true
        skipNextLF = false
        dataBuffer = ""
        hasData = false
        eventType = ""
        lastEventIDBuffer = lastEventID
    }

    private mutating func endLine() -> EventStreamItem? {
        var bytes = line[...]
        line.removeAll(keepingCapacity: true)
        if atStreamStart {
            atStreamStart = false
            if bytes.starts(with: Self.bom) { bytes = bytes.dropFirst(Self.bom.count) }
        }
        if bytes.isEmpty { return dispatch().map(EventStreamItem.event) }
        if bytes.first == UInt8(ascii: ":") {
            var text = bytes.dropFirst()
            if text.first == UInt8(ascii: " ") { text = text.dropFirst() }
            return .comment(String(decoding: text, as: UTF8.self))
        }
        let name: String
        let value: String
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            name = String(decoding: bytes[..<colon], as: UTF8.self)
            var rest = bytes[bytes.index(after: colon)...]
            if rest.first == UInt8(ascii: " ") { rest = rest.dropFirst() }
            value = String(decoding: rest, as: UTF8.self)
        } else {
            name = String(decoding: bytes, as: UTF8.self)
            value = ""
        }
        return process(field: name, value: value)
    }

    private mutating func process(field: String, value: String) -> EventStreamItem? {
        switch field {
        case "event":
            eventType = value
        case "data":
            if hasData { dataBuffer += "\n" }
            dataBuffer += value
            hasData = true
        case "id":
            if !value.unicodeScalars.contains("\u{0}") { lastEventIDBuffer = value }
        case "retry":
            if !value.isEmpty, value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let milliseconds = Int(value) {
                retryMilliseconds = milliseconds
                return .retry(milliseconds)
            }
        default:
            break
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        // The id takes effect even for a block without data (the gateway's opening `id:` line relies on it).
        lastEventID = lastEventIDBuffer
        defer {
            dataBuffer = ""
            hasData = false
            eventType = ""
        }
        guard hasData else { return nil }
        return ServerSentEvent(type: eventType.isEmpty ? "message" : eventType, data: dataBuffer, id: lastEventID)
    }
}
