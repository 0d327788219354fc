import Foundation
import RedisClient

/// The chaos run's Redis Cluster, started by scripts/chaos with scripts/lib.sh's
/// `start_cluster`: its folder (`node-*`, `acl/`) and what the faults ask of it, through
/// redis-cli (as `operator` to look, as `clusteradmin` to move slots; passwords from `acl/`
/// through REDISCLI_AUTH, never an argument) and lib.sh (`start_cluster` starts what is stopped).
struct ClusterNodes: Sendable {
    /// One master as `CLUSTER NODES` describes it: its port, id and slot ranges.
    struct Master: Sendable, Equatable {
        var port: Int
        var id: String
        var slots: [ClosedRange<Int>]

        func serves(_ slot: Int) -> Bool { slots.contains { $0.contains(slot) } }
    }

    /// The folder `start_cluster` made.
    var directory: String
    /// scripts/lib.sh.
    var library: String

    /// The data nodes, `node-1` first (the same layout as a Sentinel topology's nodes).
    func nodes() -> [HATopology.Node] {
        HATopology(directory: directory, library: library).nodes()
    }

    /// The pid of `node` when it runs.
    func pid(of node: HATopology.Node) -> Int32? {
        HATopology(directory: directory, library: library).pid(of: node)
    }

    /// The masters as the first running node that answers sees them; empty when none answers.
    func masters(children: ChildProcesses) async -> [Master] {
        for node in nodes() where pid(of: node) != nil {
            guard let (status, output) = try? await children.run(cli("operator", node.port, ["CLUSTER", "NODES"]), timeout: .seconds(5)),
                status == 0, output.contains("myself")
            else { continue }
            return Self.masters(inClusterNodes: output)
        }
        return []
    }

    /// The masters of a `CLUSTER NODES` reply that are not failing and serve slots.
    static func masters(inClusterNodes text: String) -> [Master] {
        text.split(whereSeparator: \.isNewline).compactMap { line -> Master? in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 8, fields[2].contains("master"), !fields[2].contains("fail"),
                let address = fields[1].split(separator: "@").first, let colon = address.lastIndex(of: ":"),
                let port = Int(address[address.index(after: colon)...])
            else { return nil }
            let slots = fields.dropFirst(8).compactMap { range -> ClosedRange<Int>? in
                guard !range.hasPrefix("[") else { return nil }
                let bounds = range.split(separator: "-").compactMap { Int($0) }
                guard let low = bounds.first, let high = bounds.last, low <= high else { return nil }
                return low...high
            }
            return slots.isEmpty ? nil : Master(port: port, id: fields[0], slots: slots)
        }.sorted { $0.port < $1.port }
    }

    /// Moves `count` slots from `source` to `target` with `redis-cli --cluster reshard` (the
    /// lowest slots of the source first, each live: its keys migrate while it is being served)
    /// as `clusteradmin`. Returns redis-cli's output.
    func reshard(from source: Master, to target: Master, slots count: Int, children: ChildProcesses) async throws -> String {
        let command = cli(
            "clusteradmin",
            source.port,
            [
                "--cluster", "reshard", "127.0.0.1:\(source.port)", "--cluster-from", source.id, "--cluster-to", target.id,
                "--cluster-slots", "\(count)", "--cluster-yes", "--cluster-pipeline", "100",
            ]
        )
        let (status, output) = try await children.run(command, timeout: .seconds(120))
        guard status == 0 else {
            throw ChaosProblem("redis-cli --cluster reshard failed (\(status.map(String.init) ?? "timed out")): \(output.suffix(400))")
        }
        return output
    }

    /// Starts whatever node is not running, with the role its nodes.conf last recorded, and
    /// returns once the cluster has settled (`start_cluster DIR`: every node sees every slot
    /// served and the same masters, every replica's link up; up to 30 s).
    func startWhatIsStopped(children: ChildProcesses) async throws {
        let command = ["/bin/bash", "-c", #"source "$0" && start_cluster "$1" 3 1"#, library, directory]
        let (status, output) = try await children.run(command, timeout: .seconds(90))
        guard status == 0 else {
            throw ChaosProblem("start_cluster \(directory) failed (\(status.map(String.init) ?? "timed out")): \(output.suffix(600))")
        }
    }

    /// redis-cli on 127.0.0.1:`port` as `user`, its password from `acl/<file>.password` through
    /// REDISCLI_AUTH.
    private func cli(_ user: String, _ port: Int, _ arguments: [String]) -> [String] {
        let file = directory + "/acl/" + (user == "flimmer" ? "gateway" : user) + ".password"
        return ["/bin/bash", "-c", #"REDISCLI_AUTH="$(cat "$0")" exec redis-cli --user "$1" -p "$2" "${@:3}""#, file, user, "\(port)"]
            + arguments
    }
}
