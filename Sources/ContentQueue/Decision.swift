/// A parent's decision on a pending item.
public enum Decision: Sendable, Equatable {
    case approve
    case reject(reason: String?)

    /// The status the item moves to.
    public var status: ContentStatus {
        switch self {
        case .approve: return .approved
        case .reject: return .rejected
        }
    }

    /// The `reason` of the invalidation payload.
    var invalidationReason: InvalidationReason {
        switch self {
        case .approve: return .approved
        case .reject: return .rejected
        }
    }
}
