import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the connection's
/// channel, which the event stream needs to close a connection whose client stopped reading.
public struct FlimmerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's connection.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
