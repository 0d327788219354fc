/// Thrown when opening a stream would pass a connection cap.
public struct StreamLimitExceeded: Error, Sendable, Equatable {
    /// Which cap was reached.
    public enum Scope: String, Sendable {
        /// The user's streams (``EventHubConfiguration/maxStreamsPerUser``).
        case user
        /// The process's streams (``EventHubConfiguration/maxStreams``).
        case process
    }

    public let scope: Scope
    public let limit: Int
}
