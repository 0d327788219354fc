import ContentQueue
import Foundation

/// One message received on `invalidate:<key>` (or, with sharded pub/sub, on the family's shard
/// channel `invalidate:{F}`), checked against the channel contract.
public struct InvalidationEvent: Sendable, Equatable {
    /// The payload as decoded.
    public var payload: InvalidationPayload
    /// The family, validated.
    public var family: FamilyID
    /// The payload exactly as published, relayed as the event's data.
    public var rawJSON: String

    /// Why a message was dropped instead of relayed.
    public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Decodes and validates a published message.
    ///
    /// The channel's suffix must equal the payload's `key` (on a shard channel `invalidate:{F}`,
    /// `F` must equal the payload's `family`), the family must be a valid family id and the
    /// version a non-negative integer; anything else is rejected, never relayed.
    public init(channel: String, message: [UInt8]) throws {
        let prefix = "invalidate:"
        guard channel.hasPrefix(prefix) else {
            throw Rejection(description: "channel \(channel) is not an invalidation channel")
        }
        let payload: InvalidationPayload
        do {
            payload = try JSONDecoder().decode(InvalidationPayload.self, from: Data(message))
        } catch {
            throw Rejection(description: "payload on \(channel) is not the contract's JSON")
        }
        if let shardFamily = InvalidationPayload.family(ofShardChannel: channel) {
            guard payload.family == shardFamily, !payload.key.isEmpty else {
                throw Rejection(description: "payload family \(payload.family) does not match shard channel \(channel)")
            }
        } else if payload.key != channel.dropFirst(prefix.count) {
            throw Rejection(description: "payload key \(payload.key) does not match channel \(channel)")
        }
        guard let family = FamilyID(payload.family) else {
            throw Rejection(description: "payload on \(channel) has an invalid family")
        }
        guard payload.version >= 0 else {
            throw Rejection(description: "payload on \(channel) has a negative version")
        }
        if let epoch = payload.epoch, !Epoch.isValid(Substring(epoch)) {
            throw Rejection(description: "payload on \(channel) has an invalid epoch")
        }
        self.payload = payload
        self.family = family
        self.rawJSON = String(decoding: message, as: UTF8.self)
    }
}
