import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// The router's paths and their methods, so that a known path asked with another method
/// answers 405 with `Allow` instead of the router's 404.
///
/// Read from the router once every route is registered (``record(_:)``): there is no second,
/// hand-kept list to drift from what the router serves. A reference, because the middleware
/// that reads it is added before the routes it describes.
final class KnownRoutes: Sendable {
    private let table = NIOLockedValueBox<[(segments: [Substring], methods: [HTTPRequest.Method])]>([])

    /// Takes the routes the router serves.
    func record(_ routes: [Router<some RequestContext>.RouteDescription]) {
        var methods: [String: [HTTPRequest.Method]] = [:]
        var order: [String] = []
        for route in routes {
            let path = route.path.description
            if methods[path] == nil { order.append(path) }
            methods[path, default: []].append(route.method)
        }
        table.withLockedValue { $0 = order.map { ($0.split(separator: "/"), methods[$0]!) } }
    }

    /// The methods a path allows, or `nil` for a path the API does not have. A literal path wins
    /// over a pattern (`/api/content/queue` before `/api/content/{id}`), as in the router.
    func methods(for path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/")
        return table.withLockedValue { routes in
            if let literal = routes.first(where: { $0.segments == segments }) { return literal.methods }
            return routes.first { route in
                route.segments.count == segments.count
                    && zip(route.segments, segments).allSatisfy { pattern, segment in pattern.hasPrefix("{") || pattern == segment }
            }?.methods
        }
    }
}
