/// One Redis command as its binary-safe arguments.
///
/// ```swift
/// RedisCommand("HSET", key, "title", title)
/// ```
public struct RedisCommand: Sendable, Hashable {
    /// The command name and its arguments, each sent as one bulk string.
    public var arguments: [[UInt8]]

    public init(arguments: [[UInt8]]) {
        self.arguments = arguments
    }

    public init(_ name: String, _ arguments: any RedisArgument...) {
        self.init(name, arguments)
    }

    public init(_ name: String, _ arguments: [any RedisArgument]) {
        var all: [[UInt8]] = [Array(name.utf8)]
        all.reserveCapacity(arguments.count + 1)
        for argument in arguments { all.append(argument.redisBytes) }
        self.arguments = all
    }

    /// The command name, for logs. Arguments are never logged: they may hold secrets.
    public var name: String {
        arguments.first.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

/// A value that can be sent as one argument of a ``RedisCommand``.
public protocol RedisArgument {
    /// The bytes sent to Redis.
    var redisBytes: [UInt8] { get }
}

extension String: RedisArgument {
    public var redisBytes: [UInt8] { Array(self.utf8) }
}

extension Substring: RedisArgument {
    public var redisBytes: [UInt8] { Array(self.utf8) }
}

extension Int: RedisArgument {
    public var redisBytes: [UInt8] { Array(String(self).utf8) }
}

extension Array: RedisArgument where Element == UInt8 {
    public var redisBytes: [UInt8] { self }
}
