/// Everything an event stream says, for a reader that wants more than its events: comments
/// (heartbeats, a server's last words before it ends a stream) and `retry:` fields.
public enum EventStreamItem: Sendable, Hashable {
    /// A dispatched event.
    case event(ServerSentEvent)
    /// A comment line's text, after its colon and one optional space.
    case comment(String)
    /// A valid `retry:` field, in milliseconds.
    case retry(Int)

    /// The event, if this item is one.
    public var event: ServerSentEvent? {
        if case .event(let event) = self { return event }
        return nil
    }
}
