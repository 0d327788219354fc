import HTTPTypes

/// The API's paths and their methods, so that a known path asked with another method answers
/// 405 with `Allow` instead of the router's 404.
struct KnownRoutes: Sendable {
    static let all = KnownRoutes(routes: [
        ("/api/content/upload", [.post]),
        ("/api/content/queue", [.get]),
        ("/api/content/mine", [.get]),
        ("/api/content/{id}", [.get]),
        ("/api/content/{id}/approve", [.post]),
        ("/api/content/{id}/reject", [.post]),
        ("/api/events", [.get]),
        ("/api/invalidate", [.post]),
        ("/health/live", [.get]),
        ("/health/ready", [.get]),
        ("/openapi.json", [.get]),
        ("/", [.get]),
        ("/app.js", [.get]),
        ("/app.css", [.get]),
        ("/client/flimmer-sync.js", [.get]),
        ("/metrics", [.get]),
    ])

    let routes: [(segments: [Substring], methods: [HTTPRequest.Method])]

    init(routes: [(String, [HTTPRequest.Method])]) {
        self.routes = routes.map { ($0.0.split(separator: "/"), $0.1) }
    }

    /// The methods a path allows, or `nil` for a path the API does not have.
    /// `/api/content/queue` and `/api/content/mine` are matched literally before `/api/content/{id}`, as the router does.
    func methods(for path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/")
        if let literal = routes.first(where: { $0.segments == segments }) { return literal.methods }
        return routes.first { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { pattern, segment in pattern.hasPrefix("{") || pattern == segment }
        }?.methods
    }
}
