/// What the hub has done since start.
public struct EventHubCounters: Sendable, Equatable {
    /// Valid messages received from Redis.
    public var eventsReceived = 0
    /// Of those, the ones that had at least one stream to go to.
    public var eventsRelayed = 0
    /// Frames sent to streams, summed over all events.
    public var deliveries = 0
    /// Messages dropped because they broke the channel contract.
    public var eventsRejected = 0
    /// Catch-up and resync events the hub made itself.
    public var catchUps = 0
    /// Families whose streams were reset because their state went back (a new epoch, or a new
    /// master without the writes they had heard of).
    public var resets = 0
    /// Events from a master the family had already left, dropped.
    public var staleEventsDropped = 0
    /// Streams closed because their client stopped reading.
    public var slowClientCloses = 0
}
