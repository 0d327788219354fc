/// Where an `EventStream`'s connection is.
public enum ConnectionState: Sendable, Hashable {
    /// The first connection attempt has started.
    case connecting
    /// The server answered 200 with an event stream; events flow. `resumedFrom` is the
    /// `Last-Event-ID` this connection sent (nil when it sent none), from which the server
    /// catches the stream up.
    case open(resumedFrom: String?)
    /// The connection failed, dropped or went silent; the next attempt starts after the delay.
    case reconnecting(after: Duration)
}
