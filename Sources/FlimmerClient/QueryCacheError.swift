/// A fetch of a `QueryCache` that did not give a value.
public enum QueryCacheError: Error, Sendable, Hashable {
    /// The server answered neither 200 nor 304.
    case unexpectedStatus(Int)
    /// `value(for:)` found no value and no error (the query was never fetched).
    case noValue(key: String)
}
