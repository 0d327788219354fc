import AsyncHTTPClient
import ContentQueue
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// The writes of a chaos run: children upload, parents approve or reject what was uploaded,
/// through a random gateway each time, on a fixed schedule. Each logical write carries an
/// `Idempotency-Key` of its own and is retried with it (`WriteRetry`) while it is answered 503
/// or not at all, each attempt through a gateway picked anew. Every acknowledged (2xx) write is
/// recorded for the checks, replays included; every failed attempt is counted by cause, and
/// every write that ended without an acknowledgement by its last answer.
final class ChaosLoad: Sendable {
    private struct State {
        var uploaded: [Ack] = []
        /// Uploads not yet sent for a decision: (family, id).
        var undecided: [(String, String)] = []
        var decided: [Ack] = []
        var sequence = 0
        var inFlight = 0
        /// Writes refused on a retry: the server did not recognise an attempt it had already
        /// committed (a decision found not pending, a key refused as reused).
        var refusedOnRetry: [String] = []
    }

    /// The answer of one logical write, after its retries.
    private struct Outcome {
        var status: Int?
        var body: [String: Any]?
        var replayed: Bool
        var attempts: Int
        var gateway: Int
        var sent: Double
        var attemptSent: Double
        var answered: Double
    }

    /// Most writes in flight at once (their retries included); past it a due write is skipped.
    static let maxInFlight = 400

    let gateways: [String]
    let tokens: ChaosTokens
    let random: ChaosRandom
    private let log: ChaosLog
    private let http: HTTPClient
    let retry: WriteRetry
    private let state = NIOLockedValueBox(State())
    /// Writes that ended without an acknowledgement, by their last answer.
    let uploadErrors = ErrorTally()
    let decisionErrors = ErrorTally()
    /// Every attempt that was retried, by cause: `503 replication_timeout`, `conn`…
    let retriedAttempts = ErrorTally()
    /// Writes not sent because `maxInFlight` were still in flight.
    let skipped = ErrorTally()

    /// `gateways`: base URLs, A first.
    init(gateways: [String], tokens: ChaosTokens, random: ChaosRandom, log: ChaosLog, http: HTTPClient, retry: WriteRetry = WriteRetry()) {
        self.gateways = gateways
        self.tokens = tokens
        self.random = random
        self.log = log
        self.http = http
        self.retry = retry
    }

    var uploaded: [Ack] { state.withLockedValue { $0.uploaded } }
    var decided: [Ack] { state.withLockedValue { $0.decided } }
    var refusedOnRetry: [String] { state.withLockedValue { $0.refusedOnRetry } }

    /// Uploads at `uploadRate` and decides at `decisionRate` until `end`; returns when the last
    /// write has been acknowledged or given up. A write does not hold up the next one: during an
    /// outage new writes keep coming at the rate while earlier ones retry.
    func run(uploadRate: Double, decisionRate: Double, until end: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.paced(rate: uploadRate, offset: 0, until: end) { await self.upload() } }
            group.addTask { await self.paced(rate: decisionRate, offset: 0.5, until: end) { await self.decide() } }
        }
    }

    private func paced(rate: Double, offset: Double, until end: ContinuousClock.Instant, _ work: @escaping @Sendable () async -> Void) async {
        await withDiscardingTaskGroup { group in
            await Self.pace(rate: rate, offset: offset, until: end) {
                let admitted = state.withLockedValue { state -> Bool in
                    guard state.inFlight < Self.maxInFlight else { return false }
                    state.inFlight += 1
                    return true
                }
                guard admitted else { return skipped.add("in flight \(Self.maxInFlight)") }
                group.addTask {
                    await work()
                    self.state.withLockedValue { $0.inFlight -= 1 }
                }
            }
        }
    }

    /// Calls `work` `rate` times a second from `offset` seconds on, until `end`; a late call
    /// (slow answers during a fault) is not made up with a burst.
    static func pace(rate: Double, offset: Double, until end: ContinuousClock.Instant, _ work: () async -> Void) async {
        let interval = Duration.seconds(1 / rate)
        var next = ContinuousClock.now + .seconds(offset)
        while !Task.isCancelled {
            let now = ContinuousClock.now
            if now >= end { return }
            if next > now {
                try? await Task.sleep(until: min(next, end), clock: .continuous)
                continue
            }
            await work()
            next = max(next + interval, ContinuousClock.now - interval)
        }
    }

    private func upload() async {
        let family = tokens.families[random.index(below: tokens.families.count)]
        let number = state.withLockedValue { state -> Int in
            state.sequence += 1
            return state.sequence
        }
        // Unique per logical write: the checks find an upload written twice by its title.
        let title = "chaos \(family) #\(number)"
        let outcome = await write("/api/content/upload", token: tokens.token(family, "child"), body: ["title": title])
        guard let status = outcome.status, (200..<300).contains(status) else {
            return settleFailure(outcome, tally: uploadErrors, what: "upload '\(title)'")
        }
        let body = outcome.body
        guard let item = body?["item"] as? [String: Any], let id = item["id"] as? String, ContentID(id) != nil, let version = body?["version"] as? Int
        else {
            return uploadErrors.add("\(status) without item.id/version")
        }
        var ack = ack(outcome, family: family, id: id, status: "pending", version: version)
        ack.title = title
        state.withLockedValue { state in
            state.uploaded.append(ack)
            state.undecided.append((family, id))
        }
    }

    private func decide() async {
        let picked = state.withLockedValue { state -> (String, String)? in
            state.undecided.isEmpty ? nil : state.undecided.remove(at: random.index(below: state.undecided.count))
        }
        guard let (family, id) = picked else { return }
        let approve = random.chance(0.5)
        let outcome = await write(
            "/api/content/\(id)/\(approve ? "approve" : "reject")",
            token: tokens.token(family, "parent"),
            body: approve ? nil : ["reason": "chaos"]
        )
        guard let status = outcome.status, (200..<300).contains(status) else {
            return settleFailure(outcome, tally: decisionErrors, what: "decision on \(id) (\(family))")
        }
        let ack = ack(outcome, family: family, id: id, status: approve ? "approved" : "rejected", version: outcome.body?["version"] as? Int)
        state.withLockedValue { $0.decided.append(ack) }
    }

    private func ack(_ outcome: Outcome, family: String, id: String, status: String, version: Int?) -> Ack {
        Ack(
            family: family,
            id: id,
            status: status,
            version: version,
            sent: outcome.sent,
            answered: outcome.answered,
            gateway: ChaosClient.name(outcome.gateway),
            generation: outcome.body?["generation"] as? String,
            replayed: outcome.replayed,
            attempts: outcome.attempts,
            attemptSent: outcome.attemptSent
        )
    }

    /// Counts a write that was not acknowledged; one refused after a retry is a problem of its own.
    private func settleFailure(_ outcome: Outcome, tally: ErrorTally, what: String) {
        let cause = WriteRetry.answer(status: outcome.status, body: outcome.body) ?? "conn"
        tally.add(WriteRetry.isRetried(outcome.status) ? "\(cause) (gave up)" : cause)
        if let status = outcome.status, (400..<500).contains(status), outcome.attempts > 1 {
            let line =
                "\(what) answered \(cause) at \(LossExplanation.f2(outcome.answered)) s, attempt \(outcome.attempts) with the key of an "
                + "earlier attempt: that attempt had committed, yet its retry was not answered from its record"
            state.withLockedValue { $0.refusedOnRetry.append(line) }
        }
    }

    /// One logical write: POST `path` with a fresh `Idempotency-Key`, the same bytes and key on
    /// every retry, each attempt through a gateway picked at random.
    private func write(_ path: String, token: String, body: [String: String]?) async -> Outcome {
        let key = UUID().uuidString
        let bytes = body.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
        let sent = log.elapsed()
        var attempt = 1
        while true {
            let gateway = random.index(below: gateways.count)
            let attemptSent = log.elapsed()
            let (status, json, replayed) = await call(gateway, path, token: token, key: key, body: bytes)
            let outcome = Outcome(
                status: status,
                body: json,
                replayed: replayed,
                attempts: attempt,
                gateway: gateway,
                sent: sent,
                attemptSent: attemptSent,
                answered: log.elapsed()
            )
            guard WriteRetry.isRetried(status), let delay = retry.delay(after: attempt), !Task.isCancelled else { return outcome }
            retriedAttempts.add(WriteRetry.answer(status: status, body: json) ?? "conn")
            try? await Task.sleep(for: delay)
            attempt += 1
        }
    }

    /// POST `path` on gateway `gateway` on a connection of its own (closed after the answer, so
    /// no request meets a connection a restarted gateway left behind); nil status: no answer within 5 s.
    func call(_ gateway: Int, _ path: String, token: String, key: String, body: Data?) async -> (Int?, [String: Any]?, Bool) {
        var request = HTTPClientRequest(url: gateways[gateway] + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Connection", value: "close")
        request.headers.add(name: "Idempotency-Key", value: key)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await http.execute(request, timeout: .seconds(5))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            let json = try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]
            let replayed = response.headers.first(name: "Idempotent-Replayed")?.lowercased() == "true"
            return (Int(response.status.code), json, replayed)
        } catch {
            return (nil, nil, false)
        }
    }
}
