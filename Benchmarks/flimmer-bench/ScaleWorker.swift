import ArgumentParser
import ContentQueue
import Foundation
import Server
import Synchronization

/// `flimmer-bench scale-worker`: one of the scale run's load processes (started by `scale`, not by hand).
///
/// It holds its share of the layout's streams on one gateway with one receiver thread, and
/// talks to the coordinator in lines: it prints `ready` once its requests (with their tokens)
/// are made, starts connecting on `connect` from stdin, prints `status <connected> <failed>
/// <settled>` every 100 ms, and on `stop` closes its streams and prints `result <JSON>` (a
/// ``ScaleWorkerReport``). Send times come from the coordinator's shared file.
struct ScaleWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale-worker",
        abstract: "One load process of `flimmer-bench scale` (started by it).",
        shouldDisplay: false
    )

    @Option(help: "Base URL of the gateway this worker's streams open on.") var gateway: String
    @Option(help: "The run's layout, as JSON (ScaleLayout).") var layout: String
    @Option(help: "This worker's index (0-based).") var worker: Int
    @Option(help: "The coordinator's shared file of send times.") var sendTimes: String
    @Option(help: "Connects in flight at most.") var maxConnecting = 250
    @Flag(help: "Sign gateway tokens with the development secret.") var dev = false

    func run() async throws {
        FileLimit.raiseToHard()
        let layout = try JSONDecoder().decode(ScaleLayout.self, from: Data(self.layout.utf8))
        if let problem = layout.problem { throw ValidationError(problem) }
        guard (0..<layout.workers).contains(worker) else { throw ValidationError("--worker must be below the layout's workers") }
        let endpoint = try Endpoint(url: gateway, defaultPort: 80)
        let authority = try await BenchOptions.authority(dev: dev)
        let mine = Array(layout.streams(ofWorker: worker))
        var requests: [[UInt8]] = []
        requests.reserveCapacity(mine.count)
        for stream in mine {
            guard let family = FamilyID(layout.family(ofStream: stream)), let user = UserID("u\(stream)") else {
                throw ValidationError("the run id makes invalid family names")
            }
            let token = try await authority.issue(for: Principal(family: family, user: user, role: .parent), ttl: 3600)
            requests.append(FanoutTarget.streamRequest(endpoint, token: token))
        }
        let receiver = FanoutReceiver(
            plan: .init(
                endpoint: endpoint,
                requests: requests,
                http: true,
                finalSeq: layout.lastEvent,
                maxInFlight: maxConnecting,
                events: mine.map(layout.events(ofStream:)),
                phaseStarts: [layout.familyEvents + 1]
            ),
            sendTimes: try SendTimes(sharedFile: sendTimes, last: layout.lastEvent, create: false)
        )
        var report = ScaleWorkerReport(worker: worker, streams: mine.count)
        Self.say("ready")
        guard Self.readCommand() == "connect" else { return }
        let stop = Atomic<Bool>(false)
        Thread {
            _ = Self.readCommand()
            stop.store(true, ordering: .releasing)
        }.start()
        report.connectStartedAt = Realtime.now()
        receiver.start()
        while !stop.load(ordering: .acquiring) {
            let connected = receiver.connected.load(ordering: .relaxed)
            let failed = receiver.failed.load(ordering: .relaxed)
            if report.connectEndedAt == nil, connected + failed >= mine.count { report.connectEndedAt = Realtime.now() }
            Self.say("status \(connected) \(failed) \(receiver.settled.load(ordering: .relaxed))")
            try? await Task.sleep(for: .milliseconds(100))
        }
        await receiver.stop()
        report.collect(receiver)
        let json = try JSONEncoder().encode(report)
        Self.say("result " + String(decoding: json, as: UTF8.self))
    }

    /// One line to the coordinator, written at once (through stdio, a pipe would hold it).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// The next line from the coordinator; nil when it closed stdin.
    static func readCommand() -> String? { readLine(strippingNewline: true) }
}
