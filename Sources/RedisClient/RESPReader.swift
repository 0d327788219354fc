import CHiredis
import NIOCore

/// Parses the Redis protocol with hiredis's reader (`redisReaderFeed`/`redisReaderGetReply`):
/// bytes go in as they arrive, in any split, and whole replies come out as ``RedisValue``s. Each
/// hiredis reply object is copied and freed at once; no C type leaves this type.
///
/// Not thread-safe: one reader belongs to one connection, used on its event loop.
final class RESPReader {
    private let reader: UnsafeMutablePointer<redisReader>

    init() {
        guard let reader = redisReaderCreate() else { fatalError("hiredis could not allocate a reader (out of memory)") }
        self.reader = reader
    }

    deinit {
        redisReaderFree(reader)
    }

    /// Hands `bytes` to the reader; it keeps what does not make a whole reply yet.
    func feed(_ bytes: ByteBuffer) throws {
        let status = bytes.withUnsafeReadableBytes { raw -> Int32 in
            guard let base = raw.baseAddress, raw.count > 0 else { return REDIS_OK }
            return redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), raw.count)
        }
        guard status == REDIS_OK else { throw RedisError(.protocolError, errorText) }
    }

    /// The next whole reply, or nil until more bytes arrive. After a protocol error the reader
    /// is unusable and the connection must be closed.
    func next() throws -> RedisValue? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &raw) == REDIS_OK else { throw RedisError(.protocolError, errorText) }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return RedisValue(raw.assumingMemoryBound(to: redisReply.self))
    }

    private var errorText: String {
        withUnsafeBytes(of: reader.pointee.errstr) { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
    }
}
