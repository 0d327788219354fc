import CHiredis
import NIOCore

/// Encodes commands in the Redis protocol with hiredis (`redisFormatCommandArgv`), into a
/// `ByteBuffer`; the C buffer hiredis makes is freed at once.
enum RESPWriter {
    /// Appends `command`, encoded, to `buffer`.
    static func write(_ command: RedisCommand, into buffer: inout ByteBuffer) throws {
        var target: UnsafeMutablePointer<CChar>?
        let length = ArgumentVector.with(command.arguments) { argc, argv, lengths in
            redisFormatCommandArgv(&target, argc, argv, lengths)
        }
        guard length >= 0, let target else { throw RedisError(.protocolError, "hiredis could not encode \(command.name)") }
        defer { redisFreeCommand(target) }
        buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(length)))
    }

    /// `commands`, encoded one after the other in one buffer: one write, one flush.
    static func encode(_ commands: [RedisCommand], allocator: ByteBufferAllocator) throws -> ByteBuffer {
        var buffer = allocator.buffer(capacity: commands.reduce(0) { $0 + $1.arguments.reduce(16) { $0 + $1.count + 16 } })
        for command in commands { try write(command, into: &buffer) }
        return buffer
    }
}
