/// What a cluster node's error reply asks of the client: go to the slot's owner for good
/// (`MOVED`), go there for this request only (`ASK`, during a slot migration), or wait a moment
/// and try again (`TRYAGAIN` during a migration, `CLUSTERDOWN` while the cluster heals).
enum ClusterRedirect: Sendable, Equatable {
    case moved(RedisSlot, RedisNodeAddress)
    case ask(RedisSlot, RedisNodeAddress)
    case retryLater

    /// The redirection in `message`; nil for any other error. An empty host (a node that
    /// announces none) is `fallbackHost`, the node that answered.
    init?(errorMessage message: String, fallbackHost: String) {
        let words = message.split(separator: " ", omittingEmptySubsequences: true)
        guard let kind = words.first else { return nil }
        switch kind {
        case "TRYAGAIN", "CLUSTERDOWN":
            self = .retryLater
        case "MOVED", "ASK":
            guard words.count >= 3, let number = Int(words[1]), let slot = RedisSlot(number), let colon = words[2].lastIndex(of: ":"),
                let port = Int(words[2][words[2].index(after: colon)...])
            else { return nil }
            let host = String(words[2][..<colon])
            let address = RedisNodeAddress(host: host.isEmpty ? fallbackHost : host, port: port)
            self = kind == "MOVED" ? .moved(slot, address) : .ask(slot, address)
        default:
            return nil
        }
    }

    /// The first redirection among `replies` (a MULTI's queued commands carry it; its EXEC
    /// then says only EXECABORT), or nil.
    static func first(in replies: [RedisValue], fallbackHost: String) -> ClusterRedirect? {
        for reply in replies {
            if let message = reply.errorMessage, let redirect = ClusterRedirect(errorMessage: message, fallbackHost: fallbackHost) {
                return redirect
            }
            // EXEC's own reply is an array whose elements may be errors too, but a redirected
            // transaction never runs: its queued commands were answered with the redirection.
        }
        return nil
    }
}
