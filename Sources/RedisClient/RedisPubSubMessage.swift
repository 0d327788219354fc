/// A message Redis pushed to a subscription: `message`, `pmessage` or `smessage`.
public struct RedisPubSubMessage: Sendable, Hashable {
    /// What Redis pushed.
    public enum Kind: Sendable, Hashable {
        /// A message published on `channel`.
        case message
        /// Redis ended the subscription to shard channel `channel` by itself (`sunsubscribe`
        /// that no request asked for): its slot moved to another node, where the subscriber must
        /// subscribe again. No payload.
        case shardChannelClosed
    }

    /// The channel it was published on.
    public let channel: String
    public let kind: Kind
    /// The pattern that matched, for a message received through PSUBSCRIBE.
    public let pattern: String?
    /// The payload, as published.
    public let payload: [UInt8]
    /// The generation of the node it came from: whose history of writes it announces.
    public internal(set) var generation: RedisGeneration?

    public init(channel: String, pattern: String? = nil, kind: Kind = .message, payload: [UInt8], generation: RedisGeneration? = nil) {
        self.channel = channel
        self.kind = kind
        self.pattern = pattern
        self.payload = payload
        self.generation = generation
    }

    /// The message a pushed reply carries; nil for anything else (confirmations, replies).
    init?(_ reply: RedisValue) {
        guard case .array(let parts) = reply, let kind = parts.first?.string else { return nil }
        switch (kind, parts.count) {
        case ("message", 3), ("smessage", 3):
            guard let channel = parts[1].string, case .bulkString(let payload) = parts[2] else { return nil }
            self.init(channel: channel, payload: payload)
        case ("pmessage", 4):
            guard let pattern = parts[1].string, let channel = parts[2].string, case .bulkString(let payload) = parts[3] else { return nil }
            self.init(channel: channel, pattern: pattern, payload: payload)
        default:
            return nil
        }
    }

    /// The channel of a `sunsubscribe` reply; nil for anything else.
    static func shardUnsubscribed(_ reply: RedisValue) -> String? {
        guard case .array(let parts) = reply, parts.count == 3, parts[0].string == "sunsubscribe" else { return nil }
        return parts[1].string
    }
}
