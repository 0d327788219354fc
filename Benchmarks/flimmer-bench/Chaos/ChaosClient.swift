import AsyncHTTPClient
import ContentQueue
import FlimmerClient
import Logging
import NIOConcurrencyHelpers

/// One SSE client of a chaos run, on FlimmerClient's `EventStream`, so that every run also puts
/// the client library through the faults.
///
/// It follows one gateway; the stream reconnects there by itself after a drop (waiting the
/// gateway's `retry:`, with `Last-Event-ID`). When a connection attempt fails (refused, an
/// error status, no answer), it goes to the other gateway after 0.2–1 s, resuming from the
/// last id it saw. It records that id (`.lastEventID` observations: the gateway's first `id:`
/// line is no event) and when it first saw an id of each generation, counts events, `reset`
/// events, opens, failed opens, stalls (10 s without a byte), shutdown farewells and ids that
/// went backwards within one history (epoch and generation; across a failover a lower version
/// of the new master's generation is the gateway's `reset`, not a regression).
final class ChaosClient: Sendable {
    /// No byte, not even a heartbeat (every 2 s in a chaos run), for this long: the connection is dead.
    static let stallTimeout = Duration.seconds(10)

    let index: Int
    let family: String
    let role: String
    private let token: String
    private let log: ChaosLog
    private let state: NIOLockedValueBox<State>
    private let gate = PauseGate()

    private struct State {
        /// The figures, all but the time paused (the gate keeps that).
        var figures: ClientSnapshot
        var gateway: Int {
            didSet { figures.gateway = ChaosClient.name(gateway) }
        }
        var lastID: String?
        /// Why each connection attempt ended, oldest first, until its `.reconnecting` is taken.
        var endings: [(any Error)?] = []
    }

    /// `log`: the run's clock, for the times generations are first seen.
    init(index: Int, family: String, role: String, token: String, gateway: Int, log: ChaosLog = ChaosLog()) {
        self.index = index
        self.family = family
        self.role = role
        self.token = token
        self.log = log
        let figures = ClientSnapshot(index: index, family: family, role: role, gateway: Self.name(gateway))
        self.state = NIOLockedValueBox(State(figures: figures, gateway: gateway))
    }

    func snapshot() -> ClientSnapshot {
        var figures = state.withLockedValue { $0.figures }
        figures.pausedSeconds = gate.heldSeconds
        return figures
    }

    /// Stops taking elements from the stream until `resume()`.
    func pause() { gate.close() }

    func resume() { gate.open() }

    /// Follows the gateways (base URLs, A first) until the task is cancelled.
    func run(gateways: [String], http: HTTPClient, random: ChaosRandom) async {
        var first = true
        while !Task.isCancelled {
            if !first {
                try? await Task.sleep(for: .milliseconds(Int(random.uniform(0.2...1.0) * 1000)))
            }
            first = false
            let gateway = state.withLockedValue { $0.gateway }
            if await follow(gateways[gateway], gateway: gateway, http: http) { state.withLockedValue { $0.gateway ^= 1 } }
        }
    }

    /// Follows one gateway until a connection attempt there fails (returns true), or the task is cancelled.
    private func follow(_ baseURL: String, gateway: Int, http: HTTPClient) async -> Bool {
        state.withLockedValue { $0.endings = [] }
        let configuration = EventStreamConfiguration(
            idleTimeout: Self.stallTimeout,
            lastEventID: state.withLockedValue { $0.lastID },
            observer: { [self] observation in observe(observation) }
        )
        let stream = EventStream(
            url: baseURL + "/api/events",
            token: token,
            configuration: configuration,
            transport: AsyncHTTPClientTransport(http),
            logger: Logger(label: "chaos", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        var opened = false
        do {
            for try await element in stream {
                switch element {
                case .state(.connecting):
                    break
                case .state(.open):
                    opened = true
                    state.withLockedValue { $0.figures.opens += 1 }
                case .state(.reconnecting):
                    // The observer was told why before this element was yielded.
                    let wasOpen = opened
                    opened = false
                    if !ended(wasOpen: wasOpen, gateway: gateway) { return true }
                case .event(let event):
                    state.withLockedValue { state in
                        state.figures.events += 1
                        if event.type == "reset" { state.figures.resets += 1 }
                        if let version = FamilyVersion(tag: event.id) {
                            EventRun.append(generation: version.generation?.rawValue ?? "", version: version.version, to: &state.figures.runs)
                        }
                    }
                    await gate.pass()
                }
            }
        } catch {
            // A refusal for good (4xx): this gateway will not have the stream.
            return !ended(wasOpen: false, gateway: gateway)
        }
        return false
    }

    /// Books the end of a connection; returns whether to stay on this gateway (the stream had opened).
    private func ended(wasOpen: Bool, gateway: Int) -> Bool {
        state.withLockedValue { state in
            let error = state.endings.isEmpty ? nil : state.endings.removeFirst()
            let name = Self.name(gateway)
            if !wasOpen {
                state.figures.openFailures += 1
                state.figures.openFailureCauses[Self.cause(of: error), default: 0] += 1
                state.figures.lastError = "open on \(name): \(error.map { "\($0)" } ?? "closed before the stream opened")"
            } else if (error as? EventStreamError)?.code == .idleTimeout {
                state.figures.stalls += 1
                state.figures.lastError = "no byte from \(name) for \(Int(ChaosLog.seconds(Self.stallTimeout))) s"
            } else if let error {
                state.figures.lastError = "stream on \(name): \(error)"
            }
            return wasOpen
        }
    }

    private func observe(_ observation: EventStreamObservation) {
        state.withLockedValue { state in
            switch observation {
            case .lastEventID(let id):
                state.lastID = id
                guard let version = FamilyVersion(tag: id) else { return }
                if let seen = state.figures.seen, seen.isSameHistory(as: version), version.version < seen.version {
                    state.figures.regressions += 1
                    if state.figures.regressionNotes.count < 3 {
                        state.figures.regressionNotes.append(
                            "at \(String(format: "%.2f", log.elapsed())) s on \(Self.name(state.gateway)): \(id) after \(seen.tag)"
                        )
                    }
                }
                state.figures.seen = version
                let generation = version.generation?.rawValue ?? ""
                if state.figures.firstSeen[generation] == nil { state.figures.firstSeen[generation] = log.elapsed() }
            case .comment(let text):
                if text.contains("shutting down") { state.figures.shutdownNotices += 1 }
            case .connectionEnded(let error):
                state.endings.append(error)
            }
        }
    }

    static func name(_ gateway: Int) -> String { gateway == 0 ? "A" : "B" }

    /// Why a connection attempt failed, short: `503 redis_unavailable` for the gateway's refusal,
    /// `idle_timeout`, `network` for anything below HTTP, `closed` when the server just closed it.
    static func cause(of error: (any Error)?) -> String {
        guard let error else { return "closed" }
        guard let failure = error as? EventStreamError else { return "network" }
        guard let status = failure.status else { return failure.code.rawValue }
        return failure.serverError.map { "\(status) \($0.code)" } ?? "\(status)"
    }
}
