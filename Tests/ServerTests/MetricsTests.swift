import ContentQueue
import FlimmerTestSupport
import Foundation
import Server
import Testing

@Suite("GET /metrics")
struct MetricsTests {
    /// The value of the sample whose name and labels are exactly `series`, e.g.
    /// `flimmer_http_requests_total{route="/metrics",status="200"}`.
    static func value(of series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    @Test func aLiveServerReportsItsStreamsEventsDeliveriesLagAndRequests() async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let stream = try await server.openStream(token: family.parent)
            defer { stream.close() }
            try await stream.waitUntil("the opening frames") { $0.lastEventID != nil }
            let upload = try await server.upload(token: family.child)
            let event = try await stream.nextEvent()
            #expect(event.id.hasSuffix("-\(upload.version)"))
            #expect(try await server.request(.GET, "/api/content/\(upload.id)", token: family.parent).status == 200)
            #expect(try await server.request(.GET, "/api/content/nope", token: family.parent).status == 404)

            let response = try await server.request(.GET, "/metrics")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = response.text
            #expect(text.contains("# TYPE flimmer_streams_open gauge"))
            #expect(text.contains("# TYPE flimmer_deliveries_total counter"))
            #expect(text.contains("# TYPE flimmer_delivery_lag_seconds histogram"))
            #expect(Self.value(of: "flimmer_streams_open", in: text) == 1)
            // This server's registry is its own: only its one stream's family is relayed here,
            // whatever other tests publish on the shared Redis meanwhile.
            #expect(Self.value(of: "flimmer_events_relayed_total", in: text) == 1)
            #expect(Self.value(of: "flimmer_deliveries_total", in: text) == 1)
            // Other tests publish on the same Redis (some of it invalid on purpose), so only
            // presence is checked for the rejection count; nothing here restarts Redis or stalls.
            #expect(Self.value(of: "flimmer_events_rejected_total", in: text) != nil)
            #expect(Self.value(of: "flimmer_slow_client_closes_total", in: text) == 0)
            #expect(Self.value(of: #"flimmer_redis_reconnects_total{connection="subscriber"}"#, in: text) == 0)
            #expect(Self.value(of: #"flimmer_redis_reconnects_total{connection="pool"}"#, in: text) == 0)
            // The upload's payload carries its publish time: one lag sample, well under 10 s.
            #expect(Self.value(of: "flimmer_delivery_lag_seconds_count", in: text) == 1)
            let lag = try #require(Self.value(of: "flimmer_delivery_lag_seconds_sum", in: text))
            #expect(lag >= 0 && lag < 10)
            #expect(Self.value(of: #"flimmer_delivery_lag_seconds_bucket{le="10.0"}"#, in: text) == 1)
            // Requests by route pattern, not raw path; the stream came through the fast path.
            #expect(Self.value(of: #"flimmer_http_requests_total{route="/api/content/upload",status="200"}"#, in: text) == 1)
            #expect(Self.value(of: #"flimmer_http_requests_total{route="/api/events",status="200"}"#, in: text) == 1)
            let itemSeries = text.split(separator: "\n").filter { $0.hasPrefix("flimmer_http_requests_total{route=") && $0.contains("content/") }
            #expect(!itemSeries.contains { $0.contains(upload.id) || $0.contains("nope") }, "raw paths leaked into labels: \(itemSeries)")
            #expect(itemSeries.contains { $0.contains(#"status="200""#) && ($0.contains("{id}") || $0.contains(":id")) })
            #expect(itemSeries.contains { $0.contains(#"status="404""#) })

            // The stream leaves: the gauge follows.
            stream.close()
            try await eventually("flimmer_streams_open to be 0", poll: .milliseconds(20)) {
                Self.value(of: "flimmer_streams_open", in: try await server.request(.GET, "/metrics").text) == 0
            }
        }
    }

    @Test func withAMetricsTokenMetricsNeedsIt() async throws {
        let token = "metrics-token-0123456789"
        try await TestRouter.run(configure: { $0.metricsToken = token }) { server in
            let anonymous = try await server.request(.GET, "/metrics")
            #expect(anonymous.status == 401)
            #expect(anonymous.errorCode == "unauthorized")
            #expect(try await server.request(.GET, "/metrics", token: "metrics-token-wrong-45678").status == 401)
            let scraped = try await server.request(.GET, "/metrics", token: token)
            #expect(scraped.status == 200)
            #expect(scraped.text.contains(#"flimmer_http_requests_total{route="/metrics",status="401"} 2"#))
        }
    }

    @Test func twoServersInOneProcessCountApart() async throws {
        try await TestRouter.run { first in
            try await TestRouter.run { second in
                _ = try await first.request(.GET, "/health/live")
                _ = try await first.request(.GET, "/health/live")
                _ = try await second.request(.GET, "/health/live")
                let live = #"flimmer_http_requests_total{route="/health/live",status="200"}"#
                #expect(Self.value(of: live, in: try await first.request(.GET, "/metrics").text) == 2)
                #expect(Self.value(of: live, in: try await second.request(.GET, "/metrics").text) == 1)
            }
        }
    }
}
