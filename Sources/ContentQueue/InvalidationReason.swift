/// Why a family's data went stale. The first three come from content mutations;
/// the gateway adds the others for events it makes itself.
public struct InvalidationReason: RawRepresentable, Hashable, Sendable, Codable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let uploaded = Self(rawValue: "uploaded")
    public static let approved = Self(rawValue: "approved")
    public static let rejected = Self(rawValue: "rejected")
    /// Sent by the gateway to a stream that reconnected behind the family's version.
    public static let catchUp = Self(rawValue: "catchup")
    /// Sent by the gateway when a re-check found a version it had not relayed.
    public static let resync = Self(rawValue: "resync")
}
