/// What an `EventStream` yields: events, interleaved with connection changes in the order they happened.
public enum EventStreamElement: Sendable, Hashable {
    case event(ServerSentEvent)
    case state(ConnectionState)
}
