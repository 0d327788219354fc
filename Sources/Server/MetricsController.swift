import HTTPTypes
import Hummingbird
import Prometheus

/// `GET /metrics`: the server's metrics in Prometheus's text exposition format.
///
/// Served on the API's port. Without a token it is open to whoever reaches the port: the
/// metrics carry no family, user or content id (only counts, by route pattern and status),
/// but they do show load, so operators either keep the port private or set
/// ``ServerConfiguration/metricsToken``, which Prometheus sends as `bearer_token`.
struct MetricsController: Sendable {
    let registry: PrometheusCollectorRegistry
    /// The bearer token `/metrics` requires, or nil for none.
    let token: String?

    func register(on router: Router<some RequestContext>) {
        router.get("/metrics") { request, _ in try metrics(request) }
    }

    func metrics(_ request: Request) throws -> Response {
        if let token {
            let given = request.headers[.authorization].flatMap { header -> Substring? in
                let parts = header.split(separator: " ", maxSplits: 1)
                return parts.count == 2 && parts[0].lowercased() == "bearer" ? parts[1] : nil
            }
            guard let given, Self.constantTimeEqual(Array(given.utf8), Array(token.utf8)) else {
                throw APIError.unauthorized("/metrics needs the metrics bearer token")
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }

    /// Compares without an early exit, so the time taken does not tell how much of a guess was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
