import ArgumentParser
import Foundation
import Server

/// `flimmer-bench fanout`: the same fan-out load against the gateway, nginx + Nchan, Pushpin and raw Redis pub/sub.
///
/// Usage: start the servers, then name each with its URL and pid(s); the targets run one after
/// another with the same parameters, each prints a block, and a side-by-side table follows.
///
///     ulimit -n 20000
///     flimmer-bench fanout --streams 1000 --events 200 --rate 50 \
///       --gateway http://127.0.0.1:8080 --gateway-pid $(pgrep -n flimmer-sync) \
///       --gateway-redis-url redis://127.0.0.1:6379/0 --dev \
///       --nchan http://127.0.0.1:8090 --nchan-pids $(pgrep -d, nginx) \
///       --pushpin http://127.0.0.1:7999 --pushpin-publish http://127.0.0.1:5561 \
///       --pushpin-pids $(pgrep -d, -f 'pushpin|condure|zurl') \
///       --redis redis://127.0.0.1:6380/0 --redis-pid $(cat /tmp/r/r.pid) \
///       --json-out results.jsonl
///
/// The gateway's streams are `GET /api/events` of a fresh family (`bench-<run>`), one user per
/// stream, and events are raw `PUBLISH invalidate:contentQueue` to the gateway's Redis. Nchan's
/// are `GET /sub/<channel>` (EventSource) with `POST /pub/<channel>`; Pushpin's are `GET
/// /sub/<channel>` through Pushpin to an origin that holds them (GRIP), with `POST /publish/` on its
/// publish port; Redis's are `SUBSCRIBE`.
/// Every event is the same JSON (`"version":<seq>`, padded to `--payload-bytes`); latency is the
/// kernel's receive timestamp of the read that carried it minus the time just before its
/// publish. Each target gets its own result (a failed connect or a missing delivery fails it),
/// printed in its block, in the table and in its JSON line. The exit status is the gateway's
/// alone (1 when it failed): Nchan, Pushpin and Redis are the yardsticks, and a yardstick that falls
/// over under a load the gateway carries is a finding, not a failure of the run. Without
/// `--gateway`, any failed target fails the run.
///
/// Memory per stream is (PSS or RSS with the streams idle − before they connected) / streams,
/// so it needs a server that has not held more streams before: allocators keep freed memory.
/// Server CPU per delivery covers the publish phase and the wait for the last deliveries.
struct FanoutBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "Fan-out cost and latency: N streams, M events at R per second, on the gateway, Nchan, Pushpin and Redis."
    )

    @Option(help: "Streams to hold open per target.") var streams = 1000
    @Option(help: "Events to publish.") var events = 200
    @Option(help: "Events per second (a fixed schedule, not closed loop).") var rate = 50.0
    @Option(help: "Size of each published payload in bytes.") var payloadBytes = 128
    @Option(help: "Seconds to wait after the last publish for every stream to have it.") var timeout = 10.0
    /// 250: below the gateway's listen backlog (Hummingbird's default, 256). A connect counts until its
    /// response head arrives, so the accept queue can never overflow; at 500 it did (SYNs retried after 1 s).
    @Option(help: "Connects in flight at most (keeps the server's listen queue from overflowing).") var maxConnecting = 250
    @Option(help: "Append one JSON object per target run to this file.") var jsonOut: String?

    @Option(help: "Base URL of a running gateway.") var gateway: String?
    @Option(help: "The gateway's pid.") var gatewayPid: Int32?
    @Option(help: "The Redis the gateway subscribes to, to publish on.") var gatewayRedisUrl = "redis://127.0.0.1:6379/0"
    @Flag(help: "Sign gateway tokens with the development secret instead of FLIMMER_JWT_SECRET.") var dev = false

    @Option(help: "Base URL of nginx with Nchan (/sub/<channel>, /pub/<channel>).") var nchan: String?
    @Option(help: "nginx's pids, master and workers, comma-separated.") var nchanPids: String?

    @Option(help: "Base URL of Pushpin's HTTP port, in front of an origin that holds /sub/<channel> (scripts/pushpin_origin.py).")
    var pushpin: String?
    @Option(help: "Base URL of Pushpin's publish port (POST /publish/).") var pushpinPublish: String?
    @Option(help: "Pushpin's pids (the runner, condure, zurl, proxy, handler), comma-separated.") var pushpinPids: String?
    @Option(help: "Connects in flight at most for Pushpin (its proxy refuses part of larger bursts).") var pushpinMaxConnecting = 50

    @Option(help: "A Redis to measure plain SUBSCRIBE against.") var redis: String?
    @Option(help: "That Redis's pid.") var redisPid: Int32?

    func validate() throws {
        guard streams > 0, events > 0, rate > 0, payloadBytes > 0, timeout >= 0, maxConnecting > 0 else {
            throw ValidationError("streams, events, rate, payload-bytes and max-connecting must be positive")
        }
        guard gateway != nil || nchan != nil || pushpin != nil || redis != nil else {
            throw ValidationError("name at least one of --gateway, --nchan, --pushpin, --redis")
        }
        if pushpin != nil, pushpinPublish == nil { throw ValidationError("--pushpin needs --pushpin-publish") }
    }

    func run() async throws {
        let limit = FileLimit.raiseToHard()
        if limit < streams + 64 { print("WARNING: the open-file limit is \(limit); \(streams) streams need more (ulimit -n)") }
        var results: [FanoutResult] = []
        let run = FanoutRun(
            streams: streams,
            events: events,
            rate: rate,
            payloadBytes: payloadBytes,
            settleTimeout: timeout,
            maxInFlight: maxConnecting
        )
        for target in try await targets() {
            var run = run
            // Pushpin's proxy answers 502 to part of a burst of 250 stream opens (each asks the
            // origin through zurl); 50 at a time it takes them all.
            if target.kind == .pushpin { run.maxInFlight = min(maxConnecting, pushpinMaxConnecting) }
            let result = await run.measure(target)
            result.printBlock()
            print("")
            if let jsonOut { try result.append(to: jsonOut) }
            results.append(result)
        }
        ComparisonTable(results: results).print()
        if FanoutResult.runFailed(results) { throw ExitCode(1) }
    }

    private func targets() async throws -> [FanoutTarget] {
        var targets: [FanoutTarget] = []
        if let gateway {
            let authority = try await BenchOptions.authority(dev: dev)
            let redisEndpoint = try Endpoint(url: gatewayRedisUrl, defaultPort: 6379)
            targets.append(
                FanoutTarget(
                    kind: .gateway,
                    endpoint: try Endpoint(url: gateway, defaultPort: 80),
                    publishEndpoint: redisEndpoint,
                    processes: ServerProcesses(pids: gatewayPid.map { [$0] } ?? []),
                    authority: authority
                )
            )
        }
        if let nchan {
            let endpoint = try Endpoint(url: nchan, defaultPort: 80)
            let pids = (nchanPids ?? "").split(separator: ",").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
            targets.append(FanoutTarget(kind: .nchan, endpoint: endpoint, publishEndpoint: endpoint, processes: ServerProcesses(pids: pids)))
        }
        if let pushpin, let pushpinPublish {
            let pids = (pushpinPids ?? "").split(separator: ",").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
            targets.append(
                FanoutTarget(
                    kind: .pushpin,
                    endpoint: try Endpoint(url: pushpin, defaultPort: 80),
                    publishEndpoint: try Endpoint(url: pushpinPublish, defaultPort: 80),
                    processes: ServerProcesses(pids: pids)
                )
            )
        }
        if let redis {
            let endpoint = try Endpoint(url: redis, defaultPort: 6379)
            targets.append(
                FanoutTarget(
                    kind: .redis,
                    endpoint: endpoint,
                    publishEndpoint: endpoint,
                    processes: ServerProcesses(pids: redisPid.map { [$0] } ?? [])
                )
            )
        }
        return targets
    }
}
