extension RedisValue {
    /// The reply as UTF-8 text, for bulk and status replies; `nil` otherwise.
    public var string: String? {
        switch self {
        case .bulkString(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .simpleString(let text): return text
        default: return nil
        }
    }

    /// The reply as an integer: an integer reply, or a bulk string holding a decimal number.
    public var int: Int? {
        switch self {
        case .integer(let value): return value
        case .bulkString(let bytes): return Int(String(decoding: bytes, as: UTF8.self))
        default: return nil
        }
    }

    /// The elements of an array reply; `nil` for any other reply.
    public var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// Whether the reply is a null bulk string or null array.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The message of an error reply; `nil` for any other reply.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }

    /// A flat array of field/value pairs (the reply of HGETALL) as a dictionary.
    public var fieldDictionary: [String: String]? {
        guard let values = self.array else { return nil }
        var result: [String: String] = [:]
        result.reserveCapacity(values.count / 2)
        var index = 0
        while index + 1 < values.count {
            if let field = values[index].string, let value = values[index + 1].string {
                result[field] = value
            }
            index += 2
        }
        return result
    }

    /// Throws the error reply as a ``RedisError``; returns the reply otherwise.
    @discardableResult
    public func throwingServerError() throws -> RedisValue {
        if case .error(let message) = self {
            throw RedisError.serverReply(message)
        }
        return self
    }

    /// Whether this is a replica's refusal of a write (`READONLY`).
    public var isReadOnlyRefusal: Bool { errorMessage?.hasPrefix("READONLY") == true }
}
