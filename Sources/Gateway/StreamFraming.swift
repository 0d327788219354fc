import NIOCore

/// How a stream's frames go into its connection's pipeline: the one thing about HTTP that the
/// gateway is told, by the server that owns the connection.
public struct StreamFraming: Sendable {
    let wrap: (@Sendable (ByteBuffer) -> NIOAny)?

    /// The frames are the body as they are, and the body ends when the connection closes: each
    /// frame is one buffer shared by every stream, with nothing to add per stream. The stream
    /// closes its connection when it ends.
    public static let closeDelimited = StreamFraming(wrap: nil)

    /// Each frame is wrapped into what the handlers below the stream expect (for example an
    /// HTTP body part that the server's codec chunks). When the stream ends, its connection
    /// stays open for the server to finish the response.
    public static func wrapped(_ wrap: @escaping @Sendable (ByteBuffer) -> NIOAny) -> StreamFraming {
        StreamFraming(wrap: wrap)
    }

    /// Whether the stream's end closes its connection.
    var closesConnection: Bool { wrap == nil }

    func encode(_ frame: ByteBuffer) -> NIOAny {
        wrap?(frame) ?? NIOAny(IOData.byteBuffer(frame))
    }
}
