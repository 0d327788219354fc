import CHiredis

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One blocking connection to Redis, owned by one thread at a time.
///
/// Every call blocks the calling thread, so a connection is only ever used on the
/// dedicated threads of a ``RedisClient`` (or the subscriber's own thread), never on
/// Swift's cooperative pool or an event loop. After any I/O error hiredis leaves the
/// context unusable; the connection then reports ``isBroken`` and must be dropped.
///
/// It is `@unchecked Sendable` because it is handed from thread to thread by the pool,
/// which guarantees that only one thread touches it at a time.
public final class RedisConnection: @unchecked Sendable {
    private var context: UnsafeMutablePointer<redisContext>?
    /// The configuration this connection was made with.
    public let configuration: RedisConfiguration
    /// Replies read since the counter was last reset; the pool uses it to decide whether a retry is safe.
    public internal(set) var repliesRead = 0

    /// Connects, authenticates and selects the database.
    public init(configuration: RedisConfiguration) throws {
        self.configuration = configuration
        let connectTimeout = Self.makeTimeval(configuration.connectTimeout)
        guard let context = redisConnectWithTimeout(configuration.host, Int32(configuration.port), connectTimeout) else {
            throw RedisError(.connectionFailed, "could not allocate a hiredis context")
        }
        self.context = context
        if context.pointee.err != 0 {
            let message = Self.errorString(context)
            self.close()
            throw RedisError(.connectionFailed, "connect to \(configuration.host):\(configuration.port): \(message)")
        }
        _ = redisSetTimeout(context, Self.makeTimeval(configuration.commandTimeout))
        _ = redisEnableKeepAlive(context)
        do {
            if let password = configuration.password {
                var auth = RedisCommand("AUTH")
                if let username = configuration.username { auth.arguments.append(Array(username.utf8)) }
                auth.arguments.append(Array(password.utf8))
                if case .error(let message) = try send(auth) {
                    // The server's text names no secret, but say only what kind of failure it was.
                    let kind = message.split(separator: " ").first.map(String.init) ?? "ERR"
                    throw RedisError(.connectionFailed, "AUTH was refused (\(kind))")
                }
            }
            if configuration.database != 0 {
                try send(RedisCommand("SELECT", configuration.database)).throwingServerError()
            }
        } catch let error as RedisError {
            self.close()
            throw error.code == .connectionFailed ? error : RedisError(.connectionFailed, error.message)
        }
        repliesRead = 0
    }

    deinit {
        close()
    }

    /// Whether the connection has failed or been closed and can no longer be used.
    public var isBroken: Bool {
        guard let context else { return true }
        return context.pointee.err != 0
    }

    /// Frees the hiredis context. Safe to call more than once.
    public func close() {
        if let context {
            redisFree(context)
            self.context = nil
        }
    }

    /// Sends one command and waits for its reply.
    ///
    /// An error reply from Redis is returned as ``RedisValue/error(_:)``, not thrown;
    /// only a failure of the connection itself throws.
    @discardableResult
    public func send(_ command: RedisCommand) throws -> RedisValue {
        let context = try liveContext()
        let raw = Self.withArgv(command.arguments) { argc, argv, lengths in
            redisCommandArgv(context, argc, argv, lengths)
        }
        guard let raw else { throw connectionError(context) }
        repliesRead += 1
        return Self.consume(raw)
    }

    /// Sends several commands in one write and reads their replies in order.
    public func pipeline(_ commands: [RedisCommand]) throws -> [RedisValue] {
        let context = try liveContext()
        try append(commands, to: context)
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw connectionError(context) }
            repliesRead += 1
            replies.append(Self.consume(raw))
        }
        return replies
    }

    /// Queues commands in hiredis's output buffer; they are sent by the next read or flush.
    func append(_ commands: [RedisCommand], to context: UnsafeMutablePointer<redisContext>) throws {
        for command in commands {
            let status = Self.withArgv(command.arguments) { argc, argv, lengths in
                redisAppendCommandArgv(context, argc, argv, lengths)
            }
            guard status == REDIS_OK else { throw connectionError(context) }
        }
    }

    func liveContext() throws -> UnsafeMutablePointer<redisContext> {
        guard let context, context.pointee.err == 0 else {
            throw RedisError(.io, "the connection is closed")
        }
        return context
    }

    func connectionError(_ context: UnsafeMutablePointer<redisContext>) -> RedisError {
        let savedErrno = errno
        let message = Self.errorString(context)
        switch context.pointee.err {
        case REDIS_ERR_IO where savedErrno == EAGAIN || savedErrno == EWOULDBLOCK:
            return RedisError(.timeout, "no reply within \(configuration.commandTimeout)")
        case REDIS_ERR_PROTOCOL:
            return RedisError(.protocolError, message)
        case REDIS_ERR_OOM:
            return RedisError(.io, "out of memory: \(message)")
        default:
            return RedisError(.io, message.isEmpty ? "connection lost" : message)
        }
    }

    static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
    }

    static func makeTimeval(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        var value = timeval()
        value.tv_sec = .init(seconds)
        value.tv_usec = .init(attoseconds / 1_000_000_000_000)
        return value
    }

    /// Lays the arguments out in one buffer and calls `body` with hiredis's argc/argv/argvlen.
    static func withArgv<R>(
        _ arguments: [[UInt8]],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        let total = arguments.reduce(0) { $0 + $1.count }
        var storage = [CChar]()
        storage.reserveCapacity(max(total, 1))
        var lengths = [Int]()
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            argument.withUnsafeBytes { storage.append(contentsOf: $0.bindMemory(to: CChar.self)) }
            lengths.append(argument.count)
        }
        if storage.isEmpty { storage.append(0) }
        return storage.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            var pointers = [UnsafePointer<CChar>?]()
            pointers.reserveCapacity(arguments.count)
            var offset = 0
            for length in lengths {
                pointers.append(base + offset)
                offset += length
            }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { argvlen in
                    body(Int32(arguments.count), argv.baseAddress!, argvlen.baseAddress!)
                }
            }
        }
    }

    /// Copies a hiredis reply into a ``RedisValue`` and frees it.
    static func consume(_ raw: UnsafeMutableRawPointer) -> RedisValue {
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return convert(reply)
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            return .bulkString(bytes(value.str, value.len))
        case REDIS_REPLY_STATUS:
            return .simpleString(String(decoding: bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int(value.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(value.elements)
            for index in 0..<value.elements {
                if let element = value.element[index] {
                    elements.append(convert(element))
                } else {
                    elements.append(.null)
                }
            }
            return .array(elements)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }
}
