/// Where an `EventStream`'s connection is.
public enum ConnectionState: Sendable, Hashable {
    /// The first connection attempt has started.
    case connecting
    /// The server answered 200 with an event stream; events flow.
    case open
    /// The connection failed, dropped or went silent; the next attempt starts after the delay.
    case reconnecting(after: Duration)
}
