import ContentQueue
import FlimmerTestSupport
import Server
import Testing

@Suite("CORS for browser clients")
struct CORSTests {
    static let allowed = "https://parents.flimmer.example"

    @Test func preflightFromAnAllowedOrigin() async throws {
        try await TestRouter.run(configure: { $0.corsAllowedOrigins = [Self.allowed] }) { server in
            let response = try await server.request(
                .OPTIONS,
                "/api/content/upload",
                headers: [
                    ("Origin", Self.allowed), ("Access-Control-Request-Method", "POST"),
                    ("Access-Control-Request-Headers", "authorization, content-type"),
                ]
            )
            #expect(response.status == 204)
            #expect(response.headers.first(name: "access-control-allow-origin") == Self.allowed)
            #expect(response.headers.first(name: "access-control-allow-headers")?.contains("Authorization") == true)
            #expect(response.headers.first(name: "access-control-allow-headers")?.contains("Idempotency-Key") == true)
            #expect(response.headers.first(name: "access-control-allow-methods")?.contains("POST") == true)
            #expect(response.headers.first(name: "access-control-allow-credentials") == nil)
            #expect(response.headers.first(name: "vary") == "Origin")
        }
    }

    @Test func preflightFromAnotherOriginIsRefused() async throws {
        try await TestRouter.run(configure: { $0.corsAllowedOrigins = [Self.allowed] }) { server in
            let response = try await server.request(
                .OPTIONS,
                "/api/content/upload",
                headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST")]
            )
            #expect(response.status == 403)
            #expect(response.errorCode == "origin_not_allowed")
            #expect(response.headers.first(name: "access-control-allow-origin") == nil)
        }
    }

    @Test func responsesNameOnlyAnAllowedOrigin() async throws {
        try await TestRouter.run(redis: .test, configure: { $0.corsAllowedOrigins = [Self.allowed] }) { server in
            let family = try await server.family()
            let ok = try await server.request(.GET, "/api/content/queue", token: family.parent, headers: [("Origin", Self.allowed)])
            #expect(ok.status == 200)
            #expect(ok.headers.first(name: "access-control-allow-origin") == Self.allowed)
            #expect(ok.headers.first(name: "access-control-expose-headers")?.contains("ETag") == true)
            #expect(ok.headers.first(name: "access-control-expose-headers")?.contains("Idempotent-Replayed") == true)
            let error = try await server.request(.GET, "/api/content/queue", headers: [("Origin", Self.allowed)])
            #expect(error.status == 401)
            #expect(error.headers.first(name: "access-control-allow-origin") == Self.allowed)
            let foreign = try await server.request(.GET, "/api/content/queue", token: family.parent, headers: [("Origin", "https://evil.example")])
            #expect(foreign.headers.first(name: "access-control-allow-origin") == nil)
            for response in [ok, error, foreign] {
                #expect(response.headers.first(name: "access-control-allow-credentials") == nil)
            }
        }
    }

    @Test func withoutConfiguredOriginsThereAreNoCORSHeaders() async throws {
        try await TestRouter.run { server in
            let response = try await server.request(.GET, "/health/live", headers: [("Origin", Self.allowed)])
            #expect(response.status == 200)
            #expect(response.headers.first(name: "access-control-allow-origin") == nil)
        }
    }
}
