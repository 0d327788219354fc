import AsyncHTTPClient
import ContentQueue

/// One chaos run against gateways and a Redis that scripts/chaos started: streams, then load
/// with faults, then quiescence, then the checks; returns the exit status.
struct ChaosRun: Sendable {
    /// The faults of every run, in the order they strike. A new fault: its file, and one line here.
    static func faults(pause: Double) -> [any Fault] {
        [
            RedisKill(schedule: FaultSchedule(at: 0.25, downtime: .milliseconds(1500))),
            GatewayRestart(schedule: FaultSchedule(at: 0.50, downtime: .seconds(1)), gateway: 1),
            StreamPause(schedule: FaultSchedule(at: 0.60, downtime: .milliseconds(Int64(pause * 1000))), client: 0),
        ]
    }

    var redis: RedisNode
    /// A, then B.
    var gateways: [GatewayNode]
    var tokens: ChaosTokens
    var clientCount: Int
    var duration: Double
    var uploadRate: Double
    var decisionRate: Double
    var pause: Double
    /// Seconds to wait after the faults for every stream to reach its family's final version.
    var settle: Double
    var seed: UInt64
    var log: ChaosLog
    var children: ChildProcesses

    func run() async throws -> Int32 {
        let streamHTTP = Self.httpClient(connections: clientCount + 16)
        let requestHTTP = Self.httpClient(connections: 64)
        let redisReader = ChaosRedis(node: redis)
        let status = await run(streamHTTP: streamHTTP, requestHTTP: requestHTTP, redisReader: redisReader)
        await redisReader.shutdown()
        try await streamHTTP.shutdown()
        try await requestHTTP.shutdown()
        return status
    }

    private func run(streamHTTP: HTTPClient, requestHTTP: HTTPClient, redisReader: ChaosRedis) async -> Int32 {
        let families = tokens.families
        log.say(
            "\(clientCount) clients, \(families.count) families, \(ChaosLog.number(duration)) s of load "
                + "(\(ChaosLog.number(uploadRate)) uploads/s, \(ChaosLog.number(decisionRate)) decisions/s); "
                + "gateways A :\(gateways[0].port), B :\(gateways[1].port), Redis :\(redis.port); seed \(seed)"
        )
        let random = ChaosRandom(seed: seed)

        // 1. The streams: client i is the k-th of family i % F; k alternates gateways, pairs of k alternate roles.
        let clients = (0..<clientCount).map { index in
            let family = families[index % families.count]
            let k = index / families.count
            let role = (k / 2) % 2 == 0 ? "parent" : "child"
            return ChaosClient(index: index, family: family, role: role, token: tokens.token(family, role), gateway: k % 2)
        }
        let urls = gateways.map(\.baseURL)
        let streams = Task {
            await withTaskGroup(of: Void.self) { group in
                for client in clients { group.addTask { await client.run(gateways: urls, http: streamHTTP, random: random) } }
            }
        }
        await ProcessControl.wait(upTo: .seconds(15)) { clients.allSatisfy { $0.snapshot().seen != nil } }
        let waiting = clients.map { $0.snapshot() }.filter { $0.seen == nil }
        log.say("\(clientCount - waiting.count)/\(clientCount) streams open")
        guard waiting.isEmpty else {
            for client in waiting.prefix(5) {
                log.say(
                    "  client \(client.index) (\(client.family), \(client.role)): \(client.lastError.isEmpty ? "no id received" : client.lastError)"
                )
            }
            streams.cancel()
            await streams.value
            log.say("FAILED: not every stream opened before the load; no faults injected")
            return 1
        }

        // 2. Load and faults.
        let faults = Self.faults(pause: pause)
        let ledger = FaultLedger()
        let context = FaultContext(
            redis: redis,
            gateways: gateways,
            clients: clients,
            log: log,
            ledger: ledger,
            children: children,
            http: requestHTTP
        )
        let loadStart = ContinuousClock.now
        let load = Duration.milliseconds(Int64(duration * 1000))
        let writes = ChaosLoad(gateways: urls, tokens: tokens, random: random, log: log, http: requestHTTP)
        let faulting = Task { await FaultRunner(faults: faults).run(context, loadStart: loadStart, load: load) }
        await writes.run(uploadRate: uploadRate, decisionRate: decisionRate, until: loadStart + load)
        log.say("load stopped: \(writes.uploaded.count) uploads and \(writes.decided.count) decisions acknowledged")
        await faulting.value

        // 3. Quiescence: every stream at its family's final version, or the settle time is up.
        let settleStart = ContinuousClock.now
        let settleDeadline = settleStart + .milliseconds(Int64(settle * 1000))
        while ContinuousClock.now < settleDeadline {
            if let finals = try? await redisReader.finals(families),
                ChaosChecks.lagging(clients.map { $0.snapshot() }, finals: finals).isEmpty
            {
                break
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        let settled = ChaosLog.seconds(ContinuousClock.now - settleStart)
        streams.cancel()
        await streams.value

        // 4. The checks.
        var checks = ChaosChecks(
            uploads: writes.uploaded,
            decisions: writes.decided,
            clients: clients.map { $0.snapshot() },
            redisKilledAt: ledger.redisKilledAt,
            faultProblems: ledger.problems
        )
        let found: Result<ChaosChecks.Found, any Error>
        do {
            found = .success(try await redisReader.found(uploads: writes.uploaded, decisions: writes.decided, families: families))
        } catch {
            found = .failure(error)
        }
        checks.judge(found, aofNote: redisReader.aofNote)

        let report = ChaosReport(
            checks: checks,
            families: families.count,
            load: writes,
            tallies: faults.compactMap(\.tally).map { ($0, ledger.tally($0)) },
            settled: settled,
            total: log.elapsed()
        )
        return report.print(log)
    }

    /// One client per purpose: streams need a connection each (the pool's limit must not queue
    /// them), and a refused connect must fail at once, so a client can move to the other gateway.
    static func httpClient(connections: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(2))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
