/// One event dispatched from a `text/event-stream`.
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field, or `"message"` when the server sent none.
    public var type: String
    /// The `data:` lines, joined with `\n`.
    public var data: String
    /// The last event id at dispatch time (it persists across events); empty when none was set.
    public var id: String

    /// Makes an event; mostly for tests and for sources other than the network.
    public init(type: String = "message", data: String, id: String = "") {
        self.type = type
        self.data = data
        self.id = id
    }
}
