import ArgumentParser
import Foundation
import RedisClient

/// `flimmer-bench chaos`: SSE clients, load and faults against two gateways sharing one Redis
/// or one Sentinel topology; the work of scripts/chaos, which starts Redis and the gateways and
/// runs this.
///
/// Given gateways A and B and their Redis, it opens `--clients` streams over the families of
/// `--tokens` (FlimmerClient's `EventStream`, alternating A/B, each moving to the other gateway
/// when an open fails), uploads and decides at the given rates through both for `--duration`
/// seconds, each write with an `Idempotency-Key` of its own and retried with it after a 503 or
/// no answer, while the faults strike: on one Redis (`--redis-port`, `ChaosRun.faults`)
/// redis-server killed with SIGKILL and restarted with scripts/lib.sh's start_redis; on a
/// Sentinel topology (`--ha-dir`, `ChaosRun.haFaults`) the master killed twice and restarted
/// with start_ha, and both replicas paused; on both gateway B stopped with SIGTERM and
/// restarted with the command line after `--`, and one client's reading paused. Then it waits
/// up to `--settle` seconds for every stream to reach its family's final version, and checks
/// `ChaosChecks`. Prints the figures; exits 1 when a check failed, 3 when the run outlived its
/// time budget, 128+N on signal N. Everything on 127.0.0.1; every process it starts is stopped
/// before it exits.
///
/// On a Sentinel topology it reads Redis through `CHAOS_REDIS_URL` from the environment (a
/// `redis+sentinel://` URL as the read-only operator: a password, so never an argument); a
/// restarted gateway B inherits the environment, and with it `REDIS_URL`.
struct ChaosBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract:
            "Faults under load against two gateways on one Redis or a Sentinel topology (run by scripts/chaos); checks that no acknowledged write and no event is lost.",
        discussion: "The arguments after -- are the command line that (re)starts gateway B."
    )

    @Option(help: "Port of gateway A.") var gatewayA: Int
    @Option(help: "Port of gateway B.") var gatewayB: Int
    @Option(help: "Gateway A's pidfile.") var gatewayAPidfile: String
    @Option(help: "Gateway B's pidfile (rewritten when the run restarts it).") var gatewayBPidfile: String
    @Option(help: "Gateway B's log (a restarted B appends to it).") var gatewayBLog: String
    @Option(help: "Port of the gateways' one Redis (not with --ha-dir).") var redisPort: Int?
    @Option(help: "That Redis's --dir (holds redis.pid and the AOF).") var redisDir: String?
    @Option(help: "The folder of the gateways' Sentinel topology, made by scripts/lib.sh's start_ha; Redis is read through CHAOS_REDIS_URL.")
    var haDir: String?
    @Option(help: "The folder of the gateways' Redis Cluster, made by scripts/lib.sh's start_cluster; Redis is read through CHAOS_REDIS_URL.")
    var clusterDir: String?
    @Option(help: "scripts/lib.sh, whose start_redis or start_ha restarts Redis.") var lib: String
    @Option(help: "A file of 'family role token' lines: a parent and a child token per family.") var tokens: String
    @Option(help: "SSE streams.") var clients = 300
    @Option(help: "Seconds of load.") var duration = 30.0
    @Option(help: "Uploads per second.") var uploadRate = 40.0
    @Option(help: "Approvals and rejections per second.") var decisionRate = 10.0
    @Option(help: "Seconds client 0 stops reading.") var pause = 5.0
    @Option(help: "Most seconds to wait for every stream to reach its family's final version.") var settle = 15.0
    @Option(help: "Random seed of the load (default: random).") var seed: UInt64?
    @Argument(parsing: .postTerminator, help: "The command line of gateway B.") var gatewayBCommand: [String] = []

    func validate() throws {
        guard clients >= 1, duration > 0, uploadRate > 0, decisionRate > 0, pause >= 0, settle >= 0 else {
            throw ValidationError("--clients, --duration, --upload-rate and --decision-rate must be positive")
        }
        guard !gatewayBCommand.isEmpty else { throw ValidationError("the command line of gateway B is missing after --") }
        switch (haDir, clusterDir, redisPort, redisDir) {
        case (nil, nil, .some, .some): break
        case (.some, nil, nil, nil), (nil, .some, nil, nil): break
        default:
            throw ValidationError(
                "give either --redis-port and --redis-dir (one Redis), --ha-dir (a Sentinel topology) or --cluster-dir (a Redis Cluster)"
            )
        }
    }

    /// The store of the run, from the options and, for a Sentinel topology, `CHAOS_REDIS_URL`.
    private func store() throws -> ChaosRun.Store {
        if let clusterDir {
            guard let url = ProcessInfo.processInfo.environment["CHAOS_REDIS_URL"], !url.isEmpty else {
                throw ValidationError("--cluster-dir needs CHAOS_REDIS_URL in the environment (the operator's redis+cluster:// URL)")
            }
            let configuration = try RedisConfiguration(url: url)
            guard configuration.cluster != nil else { throw ValidationError("CHAOS_REDIS_URL must be a redis+cluster:// URL with --cluster-dir") }
            return .cluster(ClusterNodes(directory: clusterDir, library: lib), configuration: configuration)
        }
        if let haDir {
            guard let url = ProcessInfo.processInfo.environment["CHAOS_REDIS_URL"], !url.isEmpty else {
                throw ValidationError("--ha-dir needs CHAOS_REDIS_URL in the environment (the operator's redis+sentinel:// URL)")
            }
            let configuration = try RedisConfiguration(url: url)
            guard configuration.sentinel != nil else { throw ValidationError("CHAOS_REDIS_URL must be a redis+sentinel:// URL with --ha-dir") }
            return .sentinel(HATopology(directory: haDir, library: lib), configuration: configuration)
        }
        return .single(RedisNode(port: redisPort!, directory: redisDir!, library: lib))
    }

    func run() async throws {
        let log = ChaosLog()
        let children = ChildProcesses()
        defer { children.stopAll() }
        // Nothing may outlive its budget: a stuck run ends itself.
        let store = try store()
        // A Sentinel run waits for each killed master to rejoin (start_ha: up to 30 s each).
        let extra: Double = haDir == nil && clusterDir == nil ? 120 : 240
        RunGuard.install(budget: .seconds(duration + settle + pause + extra), log: log, children: children)
        FileLimit.raiseToHard()
        let chaos = ChaosRun(
            store: store,
            gateways: [
                GatewayNode(name: "A", port: gatewayA, pidfile: gatewayAPidfile, logPath: "", command: []),
                GatewayNode(name: "B", port: gatewayB, pidfile: gatewayBPidfile, logPath: gatewayBLog, command: gatewayBCommand),
            ],
            tokens: try ChaosTokens(file: tokens),
            clientCount: clients,
            duration: duration,
            uploadRate: uploadRate,
            decisionRate: decisionRate,
            pause: pause,
            settle: settle,
            seed: seed ?? UInt64.random(in: 0...UInt64.max),
            log: log,
            children: children
        )
        let status = try await chaos.run()
        if status != 0 { throw ExitCode(status) }
    }
}
