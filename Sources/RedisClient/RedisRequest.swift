import NIOCore

/// Commands on their way to one connection, encoded, with the promise of their replies.
struct RedisRequest {
    /// The commands, encoded one after the other: written as one unit.
    let bytes: ByteBuffer
    /// How many replies complete the request: one per command.
    let replyCount: Int
    let promise: EventLoopPromise<[RedisValue]>
    /// Whether it unsubscribes from shard channels: its `sunsubscribe` replies are its own, while
    /// one that arrives for no such request is the server's (the channel's slot moved away).
    var unsubscribesShardChannels = false
}
