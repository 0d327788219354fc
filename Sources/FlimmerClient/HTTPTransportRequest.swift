/// A request for an `HTTPTransport`.
public struct HTTPTransportRequest: Sendable {
    /// `GET`, `POST`, …
    public var method: String
    /// The absolute URL.
    public var url: String
    /// Header fields in order; a name may repeat.
    public var headers: [(name: String, value: String)]
    /// The request body, if any.
    public var body: [UInt8]?
    /// The deadline for the whole exchange, body included. Nil for a stream, which has none:
    /// its reader watches for silence itself (`EventStreamConfiguration.idleTimeout`).
    public var timeout: Duration?

    /// A request with the given parts.
    public init(
        method: String = "GET",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration?
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}
