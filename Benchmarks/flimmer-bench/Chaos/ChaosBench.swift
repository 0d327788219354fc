import ArgumentParser

/// `flimmer-bench chaos`: SSE clients, load and faults against two gateways sharing one Redis;
/// the work of scripts/chaos, which starts the Redis and the gateways and runs this.
///
/// Given gateways A and B and their Redis, it opens `--clients` streams over the families of
/// `--tokens` (FlimmerClient's `EventStream`, alternating A/B, each moving to the other gateway
/// when an open fails), uploads and decides at the given rates through both for `--duration`
/// seconds while `ChaosRun.faults` strike (redis-server killed with SIGKILL and restarted with
/// scripts/lib.sh's start_redis, gateway B stopped with SIGTERM and restarted with the command
/// line after `--`, one client's reading paused), waits up to `--settle` seconds for every
/// stream to reach its family's final version, and checks `ChaosChecks`. Prints the figures;
/// exits 1 when a check failed, 3 when the run outlived its time budget, 128+N on signal N.
/// Everything on 127.0.0.1; every process it starts is stopped before it exits.
struct ChaosBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract:
            "Faults under load against two gateways on one Redis (run by scripts/chaos); checks that no acknowledged write and no event is lost.",
        discussion: "The arguments after -- are the command line that (re)starts gateway B."
    )

    @Option(help: "Port of gateway A.") var gatewayA: Int
    @Option(help: "Port of gateway B.") var gatewayB: Int
    @Option(help: "Gateway A's pidfile.") var gatewayAPidfile: String
    @Option(help: "Gateway B's pidfile (rewritten when the run restarts it).") var gatewayBPidfile: String
    @Option(help: "Gateway B's log (a restarted B appends to it).") var gatewayBLog: String
    @Option(help: "Port of the gateways' Redis.") var redisPort: Int
    @Option(help: "That Redis's --dir (holds redis.pid and the AOF).") var redisDir: String
    @Option(help: "scripts/lib.sh, whose start_redis restarts Redis.") var lib: String
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
    }

    func run() async throws {
        let log = ChaosLog()
        let children = ChildProcesses()
        defer { children.stopAll() }
        // Nothing may outlive its budget: a stuck run ends itself.
        RunGuard.install(budget: .seconds(duration + settle + pause + 120), log: log, children: children)
        FileLimit.raiseToHard()
        let chaos = ChaosRun(
            redis: RedisNode(port: redisPort, directory: redisDir, library: lib),
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
