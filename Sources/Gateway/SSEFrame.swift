import NIOCore

/// Encodes the event-stream format of the HTML standard (`text/event-stream`).
///
/// Each frame is encoded once and its `ByteBuffer` shared by every stream that gets it.
public enum SSEFrame {
    /// `id: <id>\nevent: <event>\ndata: <line>\n...\n\n`. The data is split at CR, LF and CRLF,
    /// one `data:` line each, so a payload with line breaks reaches the client unchanged.
    public static func event(id: String?, event: String?, data: String, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: data.utf8.count + 64)
        if let id {
            buffer.writeStaticString("id: ")
            buffer.writeString(singleLine(id))
            buffer.writeStaticString("\n")
        }
        if let event {
            buffer.writeStaticString("event: ")
            buffer.writeString(singleLine(event))
            buffer.writeStaticString("\n")
        }
        for line in lines(data) {
            buffer.writeStaticString("data: ")
            buffer.writeSubstring(line)
            buffer.writeStaticString("\n")
        }
        buffer.writeStaticString("\n")
        return buffer
    }

    /// A comment line: ignored by clients, but it keeps proxies and the TCP path alive.
    public static func comment(_ text: String, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: text.utf8.count + 4)
        buffer.writeStaticString(": ")
        buffer.writeString(singleLine(text))
        buffer.writeStaticString("\n\n")
        return buffer
    }

    /// `retry: <ms>\n`: the client's reconnection delay.
    public static func retry(milliseconds: Int, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 24)
        buffer.writeString("retry: \(milliseconds)\n")
        return buffer
    }

    /// `id: <id>\n\n`: sets the client's last event id without dispatching an event
    /// (the standard dispatches nothing when the data buffer is empty).
    public static func idOnly(_ id: String, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: id.utf8.count + 8)
        buffer.writeStaticString("id: ")
        buffer.writeString(singleLine(id))
        buffer.writeStaticString("\n\n")
        return buffer
    }

    /// The last comment of a stream that ends while its connection is still usable, or nil
    /// when the connection is gone or being closed (nothing more can be written).
    public static func farewell(for reason: StreamCloseReason) -> ByteBuffer? {
        switch reason {
        case .shutdown: comment("server shutting down; reconnect with Last-Event-ID")
        case .lifetime: comment("stream lifetime reached; reconnect with Last-Event-ID")
        case .credentialExpired: comment("token expired; reconnect with a new token and Last-Event-ID")
        case .cancelled, .stalled: nil
        }
    }

    static func lines(_ text: String) -> [Substring] {
        var result: [Substring] = []
        var start = text.startIndex
        var index = start
        while index < text.endIndex {
            let character = text[index]
            // "\r\n" is one Character in Swift, so this covers CRLF, CR and LF alike.
            if character == "\n" || character == "\r" || character == "\r\n" {
                result.append(text[start..<index])
                index = text.index(after: index)
                start = index
            } else {
                index = text.index(after: index)
            }
        }
        result.append(text[start..<text.endIndex])
        return result
    }

    private static func singleLine(_ text: String) -> String {
        text.contains(where: { $0.isNewline }) ? String(text.filter { !$0.isNewline }) : text
    }
}
