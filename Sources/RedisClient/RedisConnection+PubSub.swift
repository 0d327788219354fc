import CHiredis

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension RedisConnection {
    /// Writes commands without reading their replies, as subscribe mode needs.
    public func write(_ commands: [RedisCommand]) throws {
        let context = try liveContext()
        try append(commands, to: context)
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else { throw connectionError(context) }
        }
    }

    /// Waits up to `timeout` for the next reply or pushed message.
    ///
    /// Returns `nil` when nothing complete arrived in time; the connection stays usable,
    /// which a plain blocking read with a socket timeout would not allow in hiredis.
    public func readReply(timeout: Duration) throws -> RedisValue? {
        let context = try liveContext()
        if let buffered = try bufferedReply(context) { return buffered }
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, milliseconds)
        if ready == 0 { return nil }
        if ready < 0 {
            if errno == EINTR { return nil }
            throw RedisError(.io, "poll failed: errno \(errno)")
        }
        guard redisBufferRead(context) == REDIS_OK else { throw connectionError(context) }
        return try bufferedReply(context)
    }

    private func bufferedReply(_ context: UnsafeMutablePointer<redisContext>) throws -> RedisValue? {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReplyFromReader(context, &raw) == REDIS_OK else { throw connectionError(context) }
        guard let raw else { return nil }
        repliesRead += 1
        return Self.consume(raw)
    }
}
