import FlimmerTestSupport
import Foundation
import Server

#if canImport(Glibc)
import Glibc
#endif

/// `flimmer-sync serve` as a process on a port of its own, as the gateway's restricted Redis
/// user, with JSON log lines at debug level; restartable on the same port.
final class GatewayProcess: @unchecked Sendable {
    static let secret = "cli-check-secret-0123456789abcdef0123456789"

    let port: Int
    private(set) var process: TestProcess
    /// The log lines of every run so far.
    private var earlierLog = ""

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var log: String { earlierLog + process.stdout + process.stderr }

    init() async throws {
        port = try RedisProcess.freePort()
        process = try Self.launch(port: port)
        try await waitUntilReady()
    }

    private static func launch(port: Int) throws -> TestProcess {
        try TestProcess(
            "flimmer-sync",
            ["serve", "--host", "127.0.0.1", "--port", "\(port)", "--log-format", "json", "--log-level", "debug"],
            // The environment fallbacks, so they are tested too.
            environment: ["FLIMMER_JWT_SECRET": secret, "REDIS_URL": try TestEnvironment.gatewayRedisURL()]
        )
    }

    private func waitUntilReady() async throws {
        try await eventually("the gateway to be ready; log:\n\(log)", timeout: .seconds(10), poll: .milliseconds(100)) {
            (try? await TestHTTP.request(.GET, baseURL + "/health/ready"))?.status == 200
        }
    }

    /// SIGTERM and the exit status of the graceful stop.
    @discardableResult
    func stop() async throws -> Int32 {
        process.send(SIGTERM)
        return try await process.exitStatus()
    }

    /// Stops gracefully and starts again on the same port.
    func restart() async throws {
        try await stop()
        earlierLog = log
        process = try Self.launch(port: port)
        try await waitUntilReady()
    }

    /// A new family with tokens this gateway accepts.
    func family() async throws -> TestFamily {
        try await TestFamily(tokens: TokenAuthority(secret: Self.secret))
    }
}
