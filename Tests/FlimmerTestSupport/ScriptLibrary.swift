import Foundation

/// The functions of scripts/lib.sh, for the fixtures that set servers up exactly as the scripts
/// do (``SentinelGroup``, ``ClusterGroup``): the configuration a test runs is the one
/// `scripts/run --ha` or `--cluster` runs, and the ports its servers take are the ones the
/// scripts' servers take (``RedisProcess/freePort()``).
enum ScriptLibrary {
    /// Runs `function` of scripts/lib.sh with `arguments` in a bash of its own, with
    /// `environment` added to this process's (lib.sh's REDIS_CLI_USER and REDIS_CLI_PASS, for
    /// the functions that call redis-cli); fails with what it wrote to standard error when it
    /// fails.
    /// - Returns: what the function wrote to standard output.
    @discardableResult
    static func run(_ function: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        let output = Pipe()
        let errors = Pipe()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "source \"$0\" && \"$@\"", RedisProcess.repositoryRoot + "/scripts/lib.sh", function] + arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // One pipe after the other: the functions called here write a line or two to each, far
        // below what a pipe holds, so neither can fill while the other is read.
        let written = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw TestFailure("scripts/lib.sh \(function) failed (\(process.terminationStatus)): \(message)")
        }
        return written
    }

    @discardableResult
    static func run(_ function: String, _ arguments: String...) throws -> String {
        try run(function, arguments)
    }
}
