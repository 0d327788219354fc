import Foundation

/// A typed query of the HTTP API: a key (the name its invalidations carry, e.g. `"contentQueue"`),
/// the URL to GET and how to decode the body.
public struct Query<Value: Sendable>: Sendable {
    /// The query key: an `invalidate` event whose data has this `key` refetches the query.
    /// A cache holds one entry per key: the URL of the first query seen with a key is used.
    public let key: String
    /// The URL fetched with GET.
    public let url: String
    /// Turns a 200 body into the value.
    public let decode: @Sendable ([UInt8]) throws -> Value

    /// A query with a custom decoding.
    public init(key: String, url: String, decode: @escaping @Sendable ([UInt8]) throws -> Value) {
        self.key = key
        self.url = url
        self.decode = decode
    }
}

extension Query where Value: Decodable {
    /// A query whose body is JSON decoded with `decoder` (a fresh `JSONDecoder` by default).
    public init(key: String, url: String, as type: Value.Type = Value.self, decoder: @escaping @Sendable () -> JSONDecoder = { JSONDecoder() }) {
        self.init(key: key, url: url) { bytes in
            try decoder().decode(Value.self, from: Data(bytes))
        }
    }
}
