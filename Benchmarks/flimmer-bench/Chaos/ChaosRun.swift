import AsyncHTTPClient
import ContentQueue
import RedisClient

/// One chaos run against gateways and a Redis (or a Sentinel topology) that scripts/chaos
/// started: streams, then load with faults, then quiescence, then the checks; returns the exit
/// status.
struct ChaosRun: Sendable {
    /// What the gateways store their data in.
    enum Store: Sendable {
        /// One redis-server.
        case single(RedisNode)
        /// A Sentinel topology, read through `configuration` (a `redis+sentinel://` URL as the
        /// read-only operator).
        case sentinel(HATopology, configuration: RedisConfiguration)
        /// A Redis Cluster, read through `configuration` (a `redis+cluster://` URL as the operator).
        case cluster(ClusterNodes, configuration: RedisConfiguration)
    }

    /// The faults of a run on one Redis, in the order they strike. A new fault: its file, and one line here.
    static func faults(pause: Double) -> [any Fault] {
        [
            RedisKill(schedule: FaultSchedule(at: 0.25, downtime: .milliseconds(1500))),
            GatewayRestart(schedule: FaultSchedule(at: 0.50, downtime: .seconds(1)), gateway: 1),
            StreamPause(schedule: FaultSchedule(at: 0.60, downtime: .milliseconds(Int64(pause * 1000))), client: 0),
        ]
    }

    /// The faults of a run on a Sentinel topology: the master killed twice (the second kill waits
    /// until the first killed node has rejoined; before it, both replicas are frozen while writes
    /// flow, so that the master announces writes that no replica gets), both replicas paused,
    /// and the gateway restart and stream pause of the run on one Redis.
    static func haFaults(pause: Double) -> [any Fault] {
        [
            MasterKill(schedule: FaultSchedule(at: 0.20, downtime: .seconds(3))),
            GatewayRestart(schedule: FaultSchedule(at: 0.50, downtime: .seconds(1)), gateway: 1),
            MasterKill(schedule: FaultSchedule(at: 0.55, downtime: .seconds(3)), freezeReplicas: .seconds(3)),
            StreamPause(schedule: FaultSchedule(at: 0.60, downtime: .milliseconds(Int64(pause * 1000))), client: 0),
            ReplicaPause(schedule: FaultSchedule(at: 0.75, downtime: .seconds(2))),
        ]
    }

    /// The faults of a run on a Redis Cluster: slots holding active families moved live, a
    /// master killed (its replica takes over; it rejoins as a replica), and the gateway restart
    /// and stream pause of the run on one Redis.
    static func clusterFaults(pause: Double) -> [any Fault] {
        [
            SlotReshard(schedule: FaultSchedule(at: 0.15, downtime: .zero)),
            GatewayRestart(schedule: FaultSchedule(at: 0.40, downtime: .seconds(1)), gateway: 1),
            ClusterMasterKill(schedule: FaultSchedule(at: 0.55, downtime: .seconds(3))),
            StreamPause(schedule: FaultSchedule(at: 0.60, downtime: .milliseconds(Int64(pause * 1000))), client: 0),
        ]
    }

    var store: Store
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

    private var ha: HATopology? {
        if case .sentinel(let topology, _) = store { return topology }
        return nil
    }

    private var cluster: ClusterNodes? {
        if case .cluster(let nodes, _) = store { return nodes }
        return nil
    }

    func run() async throws -> Int32 {
        let streamHTTP = Self.httpClient(connections: clientCount + 16)
        let requestHTTP = Self.httpClient(connections: 128)
        let redisReader: ChaosRedis
        switch store {
        case .single(let node):
            redisReader = ChaosRedis(node: node)
        case .sentinel(let topology, let configuration):
            redisReader = ChaosRedis(configuration: configuration, directories: topology.nodes().map(\.directory))
        case .cluster(let nodes, let configuration):
            redisReader = ChaosRedis(configuration: configuration, directories: nodes.nodes().map(\.directory))
        }
        let status = await run(streamHTTP: streamHTTP, requestHTTP: requestHTTP, redisReader: redisReader)
        await redisReader.shutdown()
        try await streamHTTP.shutdown()
        try await requestHTTP.shutdown()
        return status
    }

    private func run(streamHTTP: HTTPClient, requestHTTP: HTTPClient, redisReader: ChaosRedis) async -> Int32 {
        let families = tokens.families
        let redisText: String
        switch store {
        case .single(let node): redisText = "Redis :\(node.port)"
        case .sentinel(let topology, _): redisText = "Sentinel topology \(topology.nodes().map { "\($0.name) :\($0.port)" }.joined(separator: ", "))"
        case .cluster(let nodes, _): redisText = "Redis Cluster \(nodes.nodes().map { "\($0.name) :\($0.port)" }.joined(separator: ", "))"
        }
        log.say(
            "\(clientCount) clients, \(families.count) families, \(ChaosLog.number(duration)) s of load "
                + "(\(ChaosLog.number(uploadRate)) uploads/s, \(ChaosLog.number(decisionRate)) decisions/s); "
                + "gateways A :\(gateways[0].port), B :\(gateways[1].port), \(redisText); seed \(seed)"
        )
        let random = ChaosRandom(seed: seed)

        // 1. The streams: client i is the k-th of family i % F; k alternates gateways, pairs of k alternate roles.
        let clients = (0..<clientCount).map { index in
            let family = families[index % families.count]
            let k = index / families.count
            let role = (k / 2) % 2 == 0 ? "parent" : "child"
            return ChaosClient(index: index, family: family, role: role, token: tokens.token(family, role), gateway: k % 2, log: log)
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
        let faults = cluster != nil ? Self.clusterFaults(pause: pause) : ha == nil ? Self.faults(pause: pause) : Self.haFaults(pause: pause)
        let ledger = FaultLedger()
        var redisNode: RedisNode?
        if case .single(let node) = store { redisNode = node }
        let loadStart = ContinuousClock.now
        let load = Duration.milliseconds(Int64(duration * 1000))
        let writes = ChaosLoad(gateways: urls, tokens: tokens, random: random, log: log, http: requestHTTP)
        let context = FaultContext(
            redis: redisNode,
            gateways: gateways,
            clients: clients,
            log: log,
            ledger: ledger,
            children: children,
            http: requestHTTP,
            ha: ha,
            cluster: cluster,
            load: writes
        )
        let faulting = Task { await FaultRunner(faults: faults).run(context, loadStart: loadStart, load: load) }
        await writes.run(uploadRate: uploadRate, decisionRate: decisionRate, until: loadStart + load)
        log.say("load stopped: \(writes.uploaded.count) uploads and \(writes.decided.count) decisions acknowledged")
        await faulting.value

        // 3. Quiescence: the topology settled, then every stream at its family's final version,
        // or the settle time is up.
        if let ha {
            let start = ContinuousClock.now
            do {
                try await ha.startWhatIsStopped(children: children)
                log.say("the topology has settled (checked in \(String(format: "%.1f", ChaosLog.seconds(ContinuousClock.now - start))) s)")
            } catch {
                ledger.problem("the topology did not settle after the faults: \(error)")
            }
        }
        if let cluster {
            do {
                try await cluster.startWhatIsStopped(children: children)
                log.say("the cluster has settled")
            } catch {
                ledger.problem("the cluster did not settle after the faults: \(error)")
            }
        }
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
        let acks = writes.uploaded + writes.decided
        let snapshots = clients.map { $0.snapshot() }
        var checks = ChaosChecks(
            uploads: writes.uploaded,
            decisions: writes.decided,
            clients: snapshots,
            redisKilledAt: ledger.redisKilledAt,
            faultProblems: ledger.problems,
            masterKilledAt: ledger.masterKills.map(\.killedAt),
            refusedOnRetry: writes.refusedOnRetry,
            lostEvents: ha == nil ? [] : LostEvents.judge(ledger.masterKills, clients: snapshots, acks: acks)
        )
        let found: Result<ChaosChecks.Found, any Error>
        do {
            found = .success(try await redisReader.found(uploads: writes.uploaded, decisions: writes.decided, families: families))
        } catch {
            found = .failure(error)
        }
        let tags: Result<[String: String], any Error>
        do {
            tags = .success(try await GatewayReads.queueTags(families: families, tokens: tokens, gateways: urls, http: requestHTTP))
        } catch {
            tags = .failure(error)
        }
        checks.judge(found, tags: tags, aofNote: redisReader.aofNote)

        var masterChanges: [String] = []
        if ha != nil || cluster != nil {
            for gateway in gateways {
                let count = await GatewayReads.masterChanges(gateway: gateway.baseURL, http: requestHTTP)
                masterChanges.append("\(gateway.name) \(count.map(String.init) ?? "?")")
            }
        }
        var redirections: [String] = []
        if cluster != nil {
            for gateway in gateways {
                redirections.append("\(gateway.name) \(await GatewayReads.redirections(gateway: gateway.baseURL, http: requestHTTP) ?? "?")")
            }
        }
        let report = ChaosReport(
            checks: checks,
            families: families.count,
            load: writes,
            tallies: faults.compactMap(\.tally).reduce(into: []) { names, name in if !names.contains(name) { names.append(name) } }
                .map { ($0, ledger.tally($0)) },
            settled: settled,
            total: log.elapsed(),
            failovers: ha == nil ? nil : FailoverFigures.compute(ledger.masterKills, acks: acks, clients: snapshots),
            masterChanges: masterChanges,
            switches: ha?.switches(),
            clusterKills: cluster == nil ? nil : ledger.masterKills,
            redirections: redirections
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
