import NIOCore
import Testing

@testable import RedisClient

/// hiredis as the protocol: commands encoded by `redisFormatCommandArgv`, replies parsed by its
/// reader whatever the split of the bytes, every reply object freed once copied.
@Suite("RESP through hiredis: writer and reader")
struct RESPCodecTests {
    /// Every kind of reply, nested, with binary and empty strings and CR LF inside a bulk string.
    static let wire =
        "+OK\r\n-ERR wrong\r\n:42\r\n:-7\r\n$5\r\nhe\r\nl\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n"
        + "*3\r\n$1\r\na\r\n*2\r\n:1\r\n$3\r\n\u{0}\u{1}\u{2}\r\n+QUEUED\r\n"
    static let values: [RedisValue] = [
        .simpleString("OK"), .error("ERR wrong"), .integer(42), .integer(-7), .bulkString(Array("he\r\nl".utf8)), .bulkString([]),
        .null, .null, .array([]), .array([.bulkString([97]), .array([.integer(1), .bulkString([0, 1, 2])]), .simpleString("QUEUED")]),
    ]

    private static func read(_ chunks: [[UInt8]]) throws -> [RedisValue] {
        let reader = RESPReader()
        var values: [RedisValue] = []
        for chunk in chunks {
            try reader.feed(ByteBuffer(bytes: chunk))
            while let value = try reader.next() { values.append(value) }
        }
        return values
    }

    @Test func repliesSplitAtEveryByteBoundaryParseTheSame() throws {
        let bytes = Array(Self.wire.utf8)
        #expect(try Self.read([bytes]) == Self.values)
        #expect(try Self.read(bytes.map { [$0] }) == Self.values, "byte by byte")
        for cut in 1..<bytes.count {
            #expect(try Self.read([Array(bytes[..<cut]), Array(bytes[cut...])]) == Self.values, "split at \(cut)")
        }
    }

    @Test func aPartialReplyWaitsForTheRest() throws {
        let reader = RESPReader()
        try reader.feed(ByteBuffer(string: "*2\r\n$3\r\nfoo\r\n"))
        #expect(try reader.next() == nil)
        try reader.feed(ByteBuffer(string: ":9\r\n"))
        #expect(try reader.next() == .array([.bulkString(Array("foo".utf8)), .integer(9)]))
        #expect(try reader.next() == nil)
    }

    @Test func garbageIsAProtocolError() throws {
        let reader = RESPReader()
        try reader.feed(ByteBuffer(string: "?what\r\n"))
        let error = try #require(throws: RedisError.self) { try reader.next() }
        #expect(error.code == .protocolError)
    }

    @Test func commandsAreEncodedBinarySafe() throws {
        let command = RedisCommand("SET", "k", [0, 13, 10, 255] as [UInt8])
        let buffer = try RESPWriter.encode([command, RedisCommand("PING")], allocator: ByteBufferAllocator())
        let expected = Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\n".utf8) + [0, 13, 10, 255] + Array("\r\n*1\r\n$4\r\nPING\r\n".utf8)
        #expect(Array(buffer.readableBytesView) == expected)
    }
}
