import Foundation
import Synchronization

/// A `scale-worker` child process, seen from the coordinator: its last status line and, once it
/// stopped, its report. A thread of its own reads its stdout; `process` and `input` are used by
/// the coordinator task alone, hence unchecked.
final class ScaleWorkerProcess: @unchecked Sendable {
    struct State: Sendable {
        var ready = false
        var connected = 0
        var failed = 0
        var settled = 0
        var report: ScaleWorkerReport?
        /// Lines that were neither status nor result (errors, warnings), kept for the output.
        var other: [String] = []
        var exited = false
    }

    let index: Int
    let streams: Int
    private let process: Process
    var pid: Int32 { process.processIdentifier }
    private let input: FileHandle
    let state = Mutex(State())

    /// Starts `flimmer-bench scale-worker` (this same executable) with `arguments`.
    init(index: Int, streams: Int, arguments: [String]) throws {
        self.index = index
        self.streams = streams
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["scale-worker"] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        self.process = process
        input = stdin.fileHandleForWriting
        let output = stdout.fileHandleForReading
        Thread { [self] in
            var pending = Data()
            while true {
                let chunk = output.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 10) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    take(line)
                }
            }
            state.withLock { $0.exited = true }
        }.start()
    }

    private func take(_ line: String) {
        if line == "ready" {
            state.withLock { $0.ready = true }
        } else if line.hasPrefix("status ") {
            let numbers = line.split(separator: " ").dropFirst().compactMap { Int($0) }
            guard numbers.count == 3 else { return }
            state.withLock {
                $0.connected = numbers[0]
                $0.failed = numbers[1]
                $0.settled = numbers[2]
            }
        } else if line.hasPrefix("result ") {
            let report = try? JSONDecoder().decode(ScaleWorkerReport.self, from: Data(line.dropFirst(7).utf8))
            state.withLock { $0.report = report }
            if report == nil { state.withLock { $0.other.append("unreadable result line") } }
        } else {
            state.withLock { $0.other.append(line) }
        }
    }

    /// Sends one command line (`connect`, `stop`).
    func send(_ command: String) {
        try? input.write(contentsOf: Data((command + "\n").utf8))
    }

    var snapshot: State { state.withLock { $0 } }

    /// Kills the worker if it still runs (a coordinator that gives up).
    func terminate() {
        if process.isRunning { process.terminate() }
    }
}
