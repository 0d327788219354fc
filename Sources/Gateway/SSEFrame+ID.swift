import ContentQueue
import NIOCore

extension SSEFrame {
    /// `frame` with the id on its first line raised to `floor`'s tag when that id names an older
    /// state of the same history (same epoch and generation, lower version); any other frame
    /// (no id, another history, the same or a newer version) comes back as it was.
    ///
    /// Only frames that queued while a stream opened go through here, so the copy it makes
    /// costs nothing on the fan-out path.
    static func raisingID(_ frame: ByteBuffer, to floor: FamilyVersion) -> ByteBuffer {
        guard let (id, lineEnd) = firstLineID(frame), let seen = FamilyVersion(tag: id), seen.isSameHistory(as: floor),
            seen.version < floor.version
        else { return frame }
        var rest = frame
        rest.moveReaderIndex(forwardBy: lineEnd)
        var raised = ByteBuffer()
        raised.reserveCapacity(frame.readableBytes + 8)
        raised.writeStaticString("id: ")
        raised.writeString(floor.tag)
        raised.writeBuffer(&rest)
        return raised
    }

    /// The id of a frame that starts with `id: <id>\n`, and the offset of that line's `\n`.
    private static func firstLineID(_ frame: ByteBuffer) -> (String, Int)? {
        let bytes = frame.readableBytesView
        guard bytes.starts(with: "id: ".utf8), let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let start = bytes.startIndex + 4
        return (String(decoding: bytes[start..<newline], as: UTF8.self), newline - bytes.startIndex)
    }
}
