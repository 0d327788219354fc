import RedisClient

/// Where a mutation publishes its invalidation, inside its MULTI.
///
/// - `classic`: `PUBLISH invalidate:<key>`, the channel contract of one Redis (and Sentinel):
///   every subscriber of the server hears every family's events. In a cluster every node
///   receives every message over the cluster bus, so it costs each node all the events.
/// - `sharded`: `SPUBLISH invalidate:{F}` (Redis 7.0 sharded pub/sub): one shard channel per
///   family, every key's events on it, whose `{F}` hash tag puts it in the slot of the family's
///   keys (SPUBLISH in a MULTI must be in the transaction's slot). Only the shard that owns the
///   slot carries it; a gateway SSUBSCRIBEs the families it has streams for.
public enum InvalidationChannels: String, Sendable, CaseIterable {
    case classic
    case sharded

    /// The command that publishes `payload`.
    public func publish(_ payload: InvalidationPayload) -> RedisCommand {
        switch self {
        case .classic: RedisCommand("PUBLISH", InvalidationPayload.channel(for: payload.key), payload.json)
        case .sharded: RedisCommand("SPUBLISH", InvalidationPayload.shardChannel(family: payload.family), payload.json)
        }
    }
}
