/// What an `EventStream` yields: events, interleaved with connection changes in the order they happened.
public enum EventStreamElement: Sendable, Hashable {
    /// A dispatched event (`invalidate`, `reset`, …).
    case event(ServerSentEvent)
    /// The connection changed state.
    case state(ConnectionState)
}
