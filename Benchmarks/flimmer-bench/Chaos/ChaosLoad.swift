import AsyncHTTPClient
import ContentQueue
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// The writes of a chaos run: children upload, parents approve or reject what was uploaded,
/// through a random gateway each time, on a fixed schedule; every acknowledged (2xx) write is
/// recorded for the checks, every other answer counted by cause.
final class ChaosLoad: Sendable {
    private struct State {
        var uploaded: [Ack] = []
        /// Uploads not yet sent for a decision: (family, id).
        var undecided: [(String, String)] = []
        var decided: [Ack] = []
        var sequence = 0
    }

    private let gateways: [String]
    private let tokens: ChaosTokens
    private let random: ChaosRandom
    private let log: ChaosLog
    private let http: HTTPClient
    private let state = NIOLockedValueBox(State())
    let uploadErrors = ErrorTally()
    let decisionErrors = ErrorTally()

    /// `gateways`: base URLs, A first.
    init(gateways: [String], tokens: ChaosTokens, random: ChaosRandom, log: ChaosLog, http: HTTPClient) {
        self.gateways = gateways
        self.tokens = tokens
        self.random = random
        self.log = log
        self.http = http
    }

    var uploaded: [Ack] { state.withLockedValue { $0.uploaded } }
    var decided: [Ack] { state.withLockedValue { $0.decided } }

    /// Uploads at `uploadRate` (over up to 16 workers, 10 per second each) and decides at
    /// `decisionRate` until `end`; returns when the last request has been answered.
    func run(uploadRate: Double, decisionRate: Double, until end: ContinuousClock.Instant) async {
        let workers = max(1, min(16, Int(uploadRate / 10)))
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    await Self.pace(rate: uploadRate / Double(workers), offset: Double(worker) / uploadRate, until: end) { await self.upload() }
                }
            }
            group.addTask { await Self.pace(rate: decisionRate, offset: 0.5, until: end) { await self.decide() } }
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
        let gateway = random.index(below: gateways.count)
        let number = state.withLockedValue { state -> Int in
            state.sequence += 1
            return state.sequence
        }
        let sent = log.elapsed()
        let (status, body) = await call(
            gateway,
            "/api/content/upload",
            token: tokens.token(family, "child"),
            body: ["title": "chaos \(family) #\(number)"]
        )
        guard let status, (200..<300).contains(status) else { return uploadErrors.add(status.map(String.init) ?? "conn") }
        guard let item = body?["item"] as? [String: Any], let id = item["id"] as? String, ContentID(id) != nil, let version = body?["version"] as? Int
        else {
            return uploadErrors.add("\(status) without item.id/version")
        }
        let ack = Ack(
            family: family,
            id: id,
            status: "pending",
            version: version,
            sent: sent,
            answered: log.elapsed(),
            gateway: ChaosClient.name(gateway)
        )
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
        let gateway = random.index(below: gateways.count)
        let sent = log.elapsed()
        let (status, body) = await call(
            gateway,
            "/api/content/\(id)/\(approve ? "approve" : "reject")",
            token: tokens.token(family, "parent"),
            body: approve ? nil : ["reason": "chaos"]
        )
        guard let status, (200..<300).contains(status) else { return decisionErrors.add(status.map(String.init) ?? "conn") }
        let ack = Ack(
            family: family,
            id: id,
            status: approve ? "approved" : "rejected",
            version: body?["version"] as? Int,
            sent: sent,
            answered: log.elapsed(),
            gateway: ChaosClient.name(gateway)
        )
        state.withLockedValue { $0.decided.append(ack) }
    }

    /// POST `path` on gateway `gateway` on a connection of its own (closed after the answer, so
    /// no request meets a connection a restarted gateway left behind); nil status: no answer within 5 s.
    private func call(_ gateway: Int, _ path: String, token: String, body: [String: String]?) async -> (Int?, [String: Any]?) {
        var request = HTTPClientRequest(url: gateways[gateway] + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Connection", value: "close")
        if let body, let data = try? JSONSerialization.data(withJSONObject: body) {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        do {
            let response = try await http.execute(request, timeout: .seconds(5))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            let json = try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]
            return (Int(response.status.code), json)
        } catch {
            return (nil, nil)
        }
    }
}
