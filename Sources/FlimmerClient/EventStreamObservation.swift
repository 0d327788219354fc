/// What an `EventStream` notices besides its elements: for logs, metrics and fault tests.
///
/// Handed to `EventStreamConfiguration.observer` on the stream's own task, in the order the
/// bytes arrived, as they are parsed (so possibly before the elements of the same read are taken).
public enum EventStreamObservation: Sendable {
    /// A comment line: a heartbeat, or the gateway's `server shutting down; …` before it closes
    /// a stream. The text after the colon, without its leading space.
    case comment(String)
    /// The last event id changed, by an event or by an `id:` line without data (the gateway opens
    /// every stream with one): the id the next connection sends as `Last-Event-ID`.
    case lastEventID(String)
    /// A connection attempt ended, before or after its stream opened: the error that ended it
    /// (an `EventStreamError` for a refusal or the idle timeout, else the network's), or nil
    /// when the server closed the stream.
    case connectionEnded((any Error)?)
}
