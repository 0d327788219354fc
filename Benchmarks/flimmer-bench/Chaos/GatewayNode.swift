import AsyncHTTPClient
import Foundation

/// A gateway of the chaos run: its port, the pidfile scripts/chaos (and later the run) writes,
/// its log, and the command line that starts it.
struct GatewayNode: Sendable {
    /// `A` or `B`.
    var name: String
    var port: Int
    var pidfile: String
    var logPath: String
    /// The whole command line (`flimmer-sync serve …`) that starts it again.
    var command: [String]

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The pid in its pidfile, when that process still runs.
    var pid: Int32? {
        ProcessControl.readPid(pidfile).flatMap { ProcessControl.isAlive($0) ? $0 : nil }
    }

    /// Starts it as a child of this run, its output appended to its log, and writes its pidfile
    /// (so scripts/chaos stops it too if this run dies); returns the pid.
    func start(children: ChildProcesses) throws -> Int32 {
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw ChaosProblem("cannot open \(logPath)") }
        try log.seekToEnd()
        try log.write(contentsOf: Data("--- chaos: gateway \(name) restarted ---\n".utf8))
        try log.close()
        let pid = try children.start(command, outputPath: logPath)
        try "\(pid)\n".write(toFile: pidfile, atomically: true, encoding: .utf8)
        return pid
    }

    /// Whether `GET /health/live` answers 200 within a second.
    func isLive(http: HTTPClient) async -> Bool {
        let request = HTTPClientRequest(url: baseURL + "/health/live")
        guard let response = try? await http.execute(request, timeout: .seconds(1)) else { return false }
        _ = try? await response.body.collect(upTo: 64 * 1024)
        return response.status.code == 200
    }
}
