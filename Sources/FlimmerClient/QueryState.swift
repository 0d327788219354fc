/// What a `QueryCache` knows about one query, as its states sequence reports it.
public enum QueryState<Value: Sendable>: Sendable {
    /// The value held from an earlier fetch, delivered at once; a revalidation is under way.
    case cached(Value)
    /// The value as the server has it now (a 200, or a 304 that confirmed the cached one).
    case fresh(Value)
    /// A fetch failed; `lastValue` is the value still held, if any.
    case error(any Error, lastValue: Value?)

    /// The value this state carries, if any.
    public var value: Value? {
        switch self {
        case .cached(let value), .fresh(let value): value
        case .error(_, let lastValue): lastValue
        }
    }
}
