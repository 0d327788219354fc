import FlimmerTestSupport
import NIOHTTP1
import RedisClient
import Testing

@testable import Server

@Suite("Health and Redis outages")
struct HealthTests {
    @Test func liveAndReady() async throws {
        try await TestServer.run { server in
            let live = try await server.request(.GET, "/health/live")
            #expect(live.status == 200)
            #expect(try live.json()["status"] as? String == "ok")
            let ready = try await server.request(.GET, "/health/ready")
            #expect(ready.status == 200)
            #expect(try ready.json()["subscription"] as? Bool == true)
        }
    }

    /// A gateway whose Redis is unreachable stays live, is not ready, and answers every data
    /// route with 503 `redis_unavailable` quickly instead of hanging.
    @Test func unreachableRedisGives503Fast() async throws {
        try await TestServer.run(configure: { $0.redis.port = 1 }, waitForSubscription: false) { server in
            let family = try await server.family()
            #expect(try await server.request(.GET, "/health/live").status == 200)
            let ready = try await server.request(.GET, "/health/ready")
            #expect(ready.status == 503)
            #expect(ready.errorCode == "not_ready")
            let calls: [(String, String, String?)] = [
                ("POST", "/api/content/upload", family.child),
                ("GET", "/api/content/queue", family.parent),
                ("GET", "/api/content/0123456789abcdef0123456789abcdef", family.parent),
                ("POST", "/api/content/0123456789abcdef0123456789abcdef/approve", family.parent),
                ("GET", "/api/events", family.parent),
            ]
            for (method, path, token) in calls {
                let start = ContinuousClock.now
                let response = try await server.request(
                    method == "GET" ? .GET : .POST,
                    path,
                    token: token,
                    body: method == "POST" && path.hasSuffix("upload") ? #"{"title":"x"}"# : nil
                )
                #expect(response.status == 503, "\(method) \(path)")
                #expect(response.errorCode == "redis_unavailable", "\(method) \(path)")
                #expect(response.headers.first(name: "retry-after") == "1")
                // A refused connect fails at once; the bound only catches a call that waits on
                // a dead Redis (3 s failed on a starved CI machine at 3.8 s).
                #expect(ContinuousClock.now - start < .seconds(8))
            }
            #expect(server.server.hub.streamCount == 0)
        }
    }
}

@Suite("OpenAPI document")
struct OpenAPITests {
    /// Every route the router serves is in the document and the document names nothing the
    /// router lacks, apart from the web page's files. So there is no undocumented route,
    /// and in particular no demo or token-minting endpoint: tokens come from `flimmer-sync token`.
    @Test func theDocumentNamesExactlyTheRoutesServed() async throws {
        try await TestRouter.run { server in
            let response = try await server.request(.GET, "/openapi.json")
            #expect(response.status == 200)
            let document = try response.json()
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
            var documented: Set<String> = []
            for (path, operations) in paths {
                for method in operations.keys where methods.contains(method) { documented.insert("\(method.uppercased()) \(path)") }
            }
            let pages: Set<String> = ["GET /", "GET /app.js", "GET /app.css", "GET /client/flimmer-sync.js"]
            #expect(Set(server.server.routes) == documented.union(pages))
            #expect(documented.contains("GET /api/content/mine"))
            #expect(documented.contains("GET /metrics"))
            #expect(!server.server.routes.contains { $0.contains("token") || $0.contains("demo") || $0.contains("login") })
        }
    }
}

@Suite("Web pages")
struct WebPageTests {
    /// The dashboard's files and the JavaScript client are served with their types and a CSP
    /// that allows this origin only; the page imports the client from the path it is served at.
    @Test func theDashboardAndItsClientAreServed() async throws {
        try await TestRouter.run { server in
            let files = [
                ("/", "text/html"), ("/app.js", "text/javascript"), ("/app.css", "text/css"),
                ("/client/flimmer-sync.js", "text/javascript"),
            ]
            for (path, type) in files {
                let response = try await server.request(.GET, path)
                #expect(response.status == 200, "\(path)")
                #expect(response.headers.first(name: "content-type")?.hasPrefix(type) == true, "\(path)")
                #expect(response.headers.first(name: "content-security-policy")?.hasPrefix("default-src 'self'") == true, "\(path)")
            }
            let page = String(decoding: try await server.request(.GET, "/app.js").body, as: UTF8.self)
            #expect(page.contains(#"from "/client/flimmer-sync.js""#))
            let client = String(decoding: try await server.request(.GET, "/client/flimmer-sync.js").body, as: UTF8.self)
            #expect(client.contains("export class SharedStream"))
        }
    }
}

@Suite("Methods")
struct MethodTests {
    @Test func aKnownPathWithAnotherMethodAnswers405WithAllow() async throws {
        try await TestRouter.run { server in
            let cases: [(HTTPMethod, String, String)] = [
                (.DELETE, "/api/content/queue", "GET"),
                (.POST, "/api/content/mine", "GET"),
                (.PUT, "/api/content/upload", "POST"),
                (.GET, "/api/content/0123456789abcdef0123456789abcdef/approve", "POST"),
                (.PATCH, "/api/content/0123456789abcdef0123456789abcdef", "GET"),
                (.POST, "/health/ready", "GET"),
            ]
            for (method, path, allow) in cases {
                let response = try await server.request(method, path)
                #expect(response.status == 405, "\(method) \(path)")
                #expect(response.errorCode == "method_not_allowed")
                #expect(response.headers.first(name: "allow") == allow)
            }
            let unknown = try await server.request(.GET, "/api/nope")
            #expect(unknown.status == 404)
        }
    }
}
