import FlimmerFormats

/// The JSON published on `invalidate:<key>`: the channel contract every publisher follows.
///
/// `{"key":"contentQueue","family":"F","version":N,"reason":"uploaded","contentId":"ID","epoch":"E","ts":1764000000000}`
///
/// `key`, `family` and `version` are required; `version` is the value the publishing
/// transaction stored in `<key>:{F}:version`. The rest is optional and more fields are allowed.
public struct InvalidationPayload: Sendable, Equatable, Codable {
    /// The invalidated query key, also the channel suffix.
    public var key: String
    public var family: String
    public var version: Int
    public var reason: String?
    public var contentId: String?
    /// The family's epoch when the publisher knows it.
    public var epoch: String?
    /// The generation of the node that committed the write (its `master_replid`'s start), when
    /// the publisher knows it: the gateway's own mutations say it, so that a gateway that hears
    /// the event through another node (classic pub/sub on a cluster) still knows whose history
    /// of writes it belongs to.
    public var generation: String?
    /// Publish time, milliseconds since 1970, for measuring delivery lag.
    public var ts: Int64?

    public init(
        key: String,
        family: String,
        version: Int,
        reason: String? = nil,
        contentId: String? = nil,
        epoch: String? = nil,
        generation: String? = nil,
        ts: Int64? = nil
    ) {
        self.key = key
        self.family = family
        self.version = version
        self.reason = reason
        self.contentId = contentId
        self.epoch = epoch
        self.generation = generation
        self.ts = ts
    }

    /// The Redis channel for a key: `invalidate:<key>`.
    public static func channel(for key: String) -> String { "invalidate:\(key)" }

    /// The shard channel of a family, for every key (``InvalidationChannels/sharded``):
    /// `invalidate:{<family>}`, in the family's cluster slot.
    public static func shardChannel(family: String) -> String { "invalidate:{\(family)}" }

    /// The family of a shard channel name (`invalidate:{F}` → `F`); nil for any other name.
    public static func family(ofShardChannel channel: String) -> String? {
        guard channel.hasPrefix("invalidate:{"), channel.hasSuffix("}"), channel.count > "invalidate:{}".count else { return nil }
        return String(channel.dropFirst("invalidate:{".count).dropLast())
    }

    /// Compact JSON, fields in contract order. Every string here is validated ASCII
    /// (ids, reasons, keys), escaped all the same so that no input can break the frame.
    public var json: String {
        var text = "{\"key\":\(JSONText.quoted(key)),\"family\":\(JSONText.quoted(family)),\"version\":\(version)"
        if let reason { text += ",\"reason\":\(JSONText.quoted(reason))" }
        if let contentId { text += ",\"contentId\":\(JSONText.quoted(contentId))" }
        if let epoch { text += ",\"epoch\":\(JSONText.quoted(epoch))" }
        if let generation { text += ",\"generation\":\(JSONText.quoted(generation))" }
        if let ts { text += ",\"ts\":\(ts)" }
        return text + "}"
    }
}
