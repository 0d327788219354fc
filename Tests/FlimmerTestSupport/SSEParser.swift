/// One thing read from an event stream: a dispatched event, a comment, or a retry field.
public enum SSEItem: Sendable, Equatable {
    case event(SSEEvent)
    case comment(String)
    case retry(Int)

    public var event: SSEEvent? {
        if case .event(let event) = self { return event }
        return nil
    }
}

/// A dispatched event with the fields the HTML standard defines.
public struct SSEEvent: Sendable, Equatable {
    /// The last event id in force when it was dispatched.
    public var id: String?
    /// `message` when the stream named none.
    public var event: String
    public var data: String

    public init(id: String?, event: String, data: String) {
        self.id = id
        self.event = event
        self.data = data
    }
}

/// A line-by-line event-stream parser after the HTML standard, enough for tests:
/// CR, LF and CRLF line ends, comments, `id`, `event`, `data` (joined with LF), `retry`.
public struct SSEParser: Sendable {
    private var pending: [UInt8] = []
    private var lastID: String?
    private var eventType = ""
    private var data: [String] = []
    private var sawCR = false
    /// Set by `id:` lines; also advanced by `id:`-only blocks that dispatch nothing.
    public private(set) var lastEventID: String?

    public init() {}

    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [SSEItem] {
        var items: [SSEItem] = []
        for byte in bytes {
            if sawCR {
                sawCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                sawCR = byte == UInt8(ascii: "\r")
                if let item = line(String(decoding: pending, as: UTF8.self)) { items.append(item) }
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
            }
        }
        return items
    }

    private mutating func line(_ text: String) -> SSEItem? {
        if text.isEmpty {
            defer {
                data = []
                eventType = ""
            }
            lastEventID = lastID
            guard !data.isEmpty else { return nil }
            return .event(SSEEvent(id: lastID, event: eventType.isEmpty ? "message" : eventType, data: data.joined(separator: "\n")))
        }
        if text.hasPrefix(":") {
            return .comment(String(text.dropFirst()).trimmingLeadingSpace())
        }
        let field: String
        var value: String
        if let colon = text.firstIndex(of: ":") {
            field = String(text[..<colon])
            value = String(text[text.index(after: colon)...])
            if value.hasPrefix(" ") { value.removeFirst() }
        } else {
            field = text
            value = ""
        }
        switch field {
        case "event": eventType = value
        case "data": data.append(value)
        case "id": if !value.contains("\0") { lastID = value }
        case "retry": if let ms = Int(value) { return .retry(ms) }
        default: break
        }
        return nil
    }
}

extension String {
    func trimmingLeadingSpace() -> String {
        hasPrefix(" ") ? String(dropFirst()) : self
    }
}
