import Foundation
import NIOConcurrencyHelpers
import RedisClient

#if canImport(Glibc)
import Glibc
#endif

/// A redis-server of the test's own, on its own free port and folder, that the test can
/// kill with SIGKILL, pause with SIGSTOP and restart on the same port and data.
public final class RedisProcess: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let port: Int
    public let directory: String
    private let arguments: [String]
    /// Who the readiness PING logs in as (nil: the default user).
    private let login: (user: String, password: String)?
    private var process: Process?

    /// - Parameter persistent: use the shipped `redis/redis.conf` (AOF, appendfsync always), whose data
    ///   survives a kill; otherwise no persistence at all, so a restart loses everything.
    public init(persistent: Bool) throws {
        guard let server = Self.which("redis-server"), Self.which("redis-cli") != nil else {
            throw Failure(description: "redis-server or redis-cli is not installed: run the tests with scripts/test")
        }
        self.port = try Self.freePort()
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("flimmer-redis-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var arguments = [server]
        if persistent {
            arguments.append(Self.repositoryRoot + "/redis/redis.conf")
        } else {
            arguments += ["--save", "", "--appendonly", "no"]
        }
        arguments += ["--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory, "--daemonize", "no", "--logfile", "\(directory)/redis.log"]
        self.arguments = arguments
        self.login = nil
        try start()
    }

    /// A server (or Sentinel) run as `arguments` (the executable first), listening on `port` with its
    /// files in `directory`, that PING reaches as `login`; for fixtures that write the configuration
    /// themselves (``SentinelGroup``). Started at once.
    init(port: Int, directory: String, arguments: [String], login: (user: String, password: String)?) throws {
        self.port = port
        self.directory = directory
        self.arguments = arguments
        self.login = login
        try start()
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        TestEnvironment.removeFolder(directory)
    }

    /// A configuration for this server with short timeouts, so tests of outages stay quick.
    public var configuration: RedisConfiguration {
        RedisConfiguration(host: "127.0.0.1", port: port, connectTimeout: .milliseconds(500), commandTimeout: .milliseconds(800))
    }

    public var pid: Int32? { process?.processIdentifier }

    /// Starts (or restarts) the server and waits until it answers PING.
    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            // Loading the AOF answers -LOADING; wait for a real PONG.
            if ping() == "PONG" { return }
            usleep(20_000)
        }
        throw Failure(description: "redis-server on port \(port) did not answer; log: \(directory)/redis.log")
    }

    /// What `redis-cli PING` prints for this server: the check must not depend on the client
    /// under test, nor on an event loop the caller may be blocking.
    private func ping() -> String? {
        Self.cli(port: port, login: login, ["PING"])
    }

    /// What redis-cli prints (replies and error replies alike, one value per line, without the
    /// trailing blank line) for `arguments` sent to 127.0.0.1:`port` as `login`, from a process
    /// of its own; nil if it could not run or took more than 2 s (a paused server never answers).
    /// The password goes through the environment (REDISCLI_AUTH), not the command line.
    static func cli(port: Int, login: (user: String, password: String)?, _ arguments: [String]) -> String? {
        guard let timeout = which("timeout"), let cli = which("redis-cli") else { return nil }
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: timeout)
        var command = ["2", cli, "-h", "127.0.0.1", "-p", "\(port)"]
        var environment = ProcessInfo.processInfo.environment
        environment["REDISCLI_AUTH"] = nil
        if let login {
            command += ["--user", login.user]
            environment["REDISCLI_AUTH"] = login.password
        }
        process.arguments = command + arguments
        process.environment = environment
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// SIGKILL, as a crash: no shutdown save, no goodbye to clients.
    public func kill9() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGSTOP: connections stay open but nothing is answered, like a hung server.
    public func pause() {
        if let pid { kill(pid, SIGSTOP) }
    }

    /// SIGCONT after ``pause()``.
    public func resume() {
        if let pid { kill(pid, SIGCONT) }
    }

    /// Kills and starts again on the same port and folder.
    public func restart() throws {
        kill9()
        try start()
    }

    /// The package root, found from this file's path.
    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A loopback port that was free a moment ago and that this process has not handed out
    /// before, below the kernel's ephemeral range (scripts/lib.sh `restart_port`).
    ///
    /// A port the kernel picks (bind to port 0) lies in the ephemeral range, where any outgoing
    /// connection of a test running beside this one can take it as its local port between the
    /// pick and the server's bind, or between a server's stop and its restart on that port:
    /// the server then fails with "address already in use".
    public static func freePort() throws -> Int {
        try freePorts(1)[0]
    }

    /// `count` distinct ports as ``freePort()`` picks them, from one run of `restart_port`
    /// where that is enough (each run is a bash and a python3).
    public static func freePorts(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        for _ in 0..<20 where ports.count < count {
            let output = try ScriptLibrary.run("restart_port", "\(count - ports.count)")
            let printed = output.split(separator: "\n").compactMap { Int($0) }
            guard !printed.isEmpty else { throw Failure(description: "scripts/lib.sh restart_port printed no port: \(output)") }
            ports += handedOut.withLockedValue { handed in printed.filter { handed.insert($0).inserted } }
        }
        guard ports.count == count else {
            throw Failure(description: "scripts/lib.sh restart_port printed only ports handed out before")
        }
        return ports
    }

    private static let handedOut = NIOLockedValueBox(Set<Int>())
}
