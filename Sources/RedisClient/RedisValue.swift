/// One Redis reply, copied out of hiredis into plain Swift storage.
///
/// Every reply hiredis hands back is converted into a `RedisValue` and freed at once,
/// so no C memory outlives the call that produced it.
public enum RedisValue: Sendable, Hashable {
    /// A status reply such as `OK` or `QUEUED`.
    case simpleString(String)
    /// An error reply such as `WRONGTYPE Operation against a key holding the wrong kind of value`.
    case error(String)
    /// An integer reply.
    case integer(Int)
    /// A bulk string, binary safe.
    case bulkString([UInt8])
    /// A null bulk string or null array (a missing key, an aborted EXEC).
    case null
    /// An array reply.
    case array([RedisValue])
}
