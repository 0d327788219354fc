import CoreMetrics

/// `flimmer_http_requests_total{route, status}`, from a factory the server owns.
///
/// `route` is the matched route pattern (`/api/content/{id}`), never the raw path, so the
/// number of series stays bounded whatever clients ask for.
struct HTTPMetrics: Sendable {
    static let requestsLabel = "flimmer_http_requests_total"

    let factory: any MetricsFactory

    /// Counts one answered request.
    func record(route: String, status: Int) {
        // The registry hands back the same counter for the same labels; no cache needed here.
        Counter(label: Self.requestsLabel, dimensions: [("route", route), ("status", String(status))], factory: factory).increment()
    }
}
