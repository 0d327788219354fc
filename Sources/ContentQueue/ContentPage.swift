/// One page of a family's list (the pending queue, or the approved or rejected history) at one
/// version.
public struct ContentPage: Sendable, Equatable {
    /// The page's items (oldest first for the queue, newest first for the history) and the
    /// family version they were read at.
    public var snapshot: QueueSnapshot
    /// How many items the whole list holds.
    public var total: Int
    /// Where the next page starts, for the request's `cursor`; nil on the last page.
    public var next: Int?

    public init(snapshot: QueueSnapshot, total: Int, next: Int?) {
        self.snapshot = snapshot
        self.total = total
        self.next = next
    }
}
