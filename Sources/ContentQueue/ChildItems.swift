/// The newest items one child uploaded, at one family version.
public struct ChildItems: Sendable, Equatable {
    /// The items, newest first, whatever their status; `snapshot.version` is the family's queue version.
    public var snapshot: QueueSnapshot
    /// How many items the child has uploaded in all; more than `snapshot.items.count` when the read was limited.
    public var total: Int

    public init(snapshot: QueueSnapshot, total: Int) {
        self.snapshot = snapshot
        self.total = total
    }
}
