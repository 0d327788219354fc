import FlimmerTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `flimmer-sync serve` and `watch` as processes: the log lines the process writes, the
/// environment it reads, a stream tail that outlives a restart of its gateway, and the exit
/// status of each on the signals that stop them.
@Suite("flimmer-sync serve and watch as processes", .serialized)
struct ServeProcessTests {
    static func upload(_ gateway: GatewayProcess, token: String, title: String, requestID: String) async throws -> TestResponse {
        let response = try await TestHTTP.request(
            .POST,
            gateway.baseURL + "/api/content/upload",
            token: token,
            headers: [("X-Request-Id", requestID)],
            bytes: Array(#"{"title":"\#(title)"}"#.utf8)
        )
        #expect(response.status == 200, "\(response.text)")
        return response
    }

    @Test func jsonLogLinesAreObjectsAndCarryTheRequestID() async throws {
        let gateway = try await GatewayProcess()
        let family = try await gateway.family()
        let response = try await Self.upload(gateway, token: family.child, title: "logged", requestID: "cli-upload-1")
        #expect(response.headers.first(name: "x-request-id") == "cli-upload-1")
        #expect(try await gateway.stop() == 0)

        let lines = gateway.log.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(!lines.isEmpty)
        let objects = lines.map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        for (line, object) in zip(lines, objects) {
            #expect(object.map { Set($0.keys).isSuperset(of: ["ts", "level", "logger", "msg"]) } == true, "\(line)")
        }
        #expect(objects.contains { $0?["msg"] as? String == "listening" })
        #expect(lines.contains { $0.contains(#""request_id":"cli-upload-1""#) })
    }

    /// `watch` with FLIMMER_TOKEN follows the gateway's stream, shows the upload's invalidation,
    /// reconnects with its Last-Event-ID after the gateway restarts, and stops with 0 on SIGINT.
    @Test func watchFollowsTheStreamAcrossAGatewayRestart() async throws {
        let gateway = try await GatewayProcess()
        let family = try await gateway.family()
        // The token through the environment, where `ps` does not show it.
        let watch = try TestProcess("flimmer-sync", ["watch", "--url", gateway.baseURL], environment: ["FLIMMER_TOKEN": family.parent])
        try await watch.waitForLine(containing: "following ", onStderr: true)

        try await Self.upload(gateway, token: family.child, title: "watched", requestID: "cli-upload-2")
        try await watch.waitForLine(containing: "  invalidate  family=\(family) key=contentQueue version=1 reason=uploaded contentId=")
        let metrics = try await TestHTTP.request(.GET, gateway.baseURL + "/metrics").text
        #expect(metrics.contains(#"flimmer_http_requests_total{route="/api/content/upload",status="200"} 1"#))
        for series in ["flimmer_streams_open 1", "flimmer_deliveries_total 1", "flimmer_delivery_lag_seconds_count 1"] {
            #expect(metrics.split(separator: "\n").contains { $0 == series || $0 == series + ".0" }, "\(series)")
        }

        try await gateway.restart()
        try await watch.waitForLine(containing: " from ", onStderr: true)
        try await Self.upload(gateway, token: family.child, title: "after the restart", requestID: "cli-upload-3")
        try await watch.waitForLine(containing: "family=\(family) key=contentQueue version=2 reason=uploaded")

        watch.send(SIGINT)
        #expect(try await watch.exitStatus() == 0)
        try await gateway.stop()
    }
}
