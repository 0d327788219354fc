import CoreMetrics
import NIOConcurrencyHelpers

/// `flimmer_http_requests_total{route, status}`, from a factory the server owns.
///
/// `route` is the matched route pattern (`/api/content/{id}`), never the raw path, so the
/// number of series stays bounded whatever clients ask for.
struct HTTPMetrics: Sendable {
    static let requestsLabel = "flimmer_http_requests_total"

    private struct Series: Hashable {
        var route: String
        var status: Int
    }

    let factory: any MetricsFactory
    // The registry would hand back the same counter for the same labels, but asking it validates
    // and hashes the labels each time: a couple of microseconds of every request. The routes and
    // statuses are few, so the counters are kept here.
    private let counters = NIOLockedValueBox([Series: Counter]())

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Counts one answered request.
    func record(route: String, status: Int) {
        let series = Series(route: route, status: status)
        let counter = counters.withLockedValue { counters in
            if let counter = counters[series] { return counter }
            let counter = Counter(label: Self.requestsLabel, dimensions: [("route", route), ("status", String(status))], factory: factory)
            counters[series] = counter
            return counter
        }
        counter.increment()
    }
}
