import NIOConcurrencyHelpers

/// What a lent connection does for a cluster: precede each unit with `ASKING` (after an `ASK`
/// redirection), and remember the first redirection its replies carried, so that the client
/// can run the body again where it points.
final class LeaseRouting: Sendable {
    let asking: Bool
    /// The host of a redirection that names none: the node the connection is to.
    let fallbackHost: String
    private let seen = NIOLockedValueBox<ClusterRedirect?>(nil)

    init(asking: Bool, fallbackHost: String) {
        self.asking = asking
        self.fallbackHost = fallbackHost
    }

    /// The first redirection seen, if any.
    var redirect: ClusterRedirect? { seen.withLockedValue { $0 } }

    /// Looks for a redirection in `replies`.
    func inspect(_ replies: [RedisValue]) {
        guard let redirect = ClusterRedirect.first(in: replies, fallbackHost: fallbackHost) else { return }
        seen.withLockedValue { if $0 == nil { $0 = redirect } }
    }
}
