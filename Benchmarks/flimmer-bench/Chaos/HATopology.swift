import Foundation

/// The chaos run's Sentinel topology, started by scripts/chaos with scripts/lib.sh's `start_ha`:
/// its folder (`node-*`, `sentinel-*`, `acl/`, `master-name`) and the functions of scripts/lib.sh
/// that ask it which node is the master and start again what is not running: one way to run a
/// topology, in one place.
struct HATopology: Sendable {
    /// One data node: its folder (`node-2`) and the port its configuration names.
    struct Node: Sendable, Equatable {
        var directory: String
        var port: Int
        var name: String { (directory as NSString).lastPathComponent }
    }

    /// The folder `start_ha` made.
    var directory: String
    /// scripts/lib.sh.
    var library: String

    /// The data nodes, `node-1` first, with their ports; a folder without a readable port is left out.
    func nodes() -> [Node] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return Self.nodeFolders(names).compactMap { name in
            let folder = directory + "/" + name
            guard let text = try? String(contentsOfFile: folder + "/redis.conf", encoding: .utf8), let port = Self.port(inConfiguration: text)
            else { return nil }
            return Node(directory: folder, port: port)
        }
    }

    /// `node-N` folder names in the order of N.
    static func nodeFolders(_ names: [String]) -> [String] {
        numbered(names, prefix: "node-")
    }

    /// `<prefix>N` names in the order of N.
    private static func numbered(_ names: [String], prefix: String) -> [String] {
        names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix(prefix), let number = Int(name.dropFirst(prefix.count)) else { return nil }
            return (number, name)
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The port a node's configuration names: its last `port N` line (CONFIG REWRITE keeps one).
    static func port(inConfiguration text: String) -> Int? {
        var port: Int?
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            if words.count == 2, words[0] == "port", let value = Int(words[1]) { port = value }
        }
        return port
    }

    /// The Sentinels' ports, `sentinel-1` first.
    func sentinelPorts() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return Self.numbered(names, prefix: "sentinel-").compactMap { name in
            (try? String(contentsOfFile: directory + "/" + name + "/sentinel.conf", encoding: .utf8)).flatMap(Self.port(inConfiguration:))
        }
    }

    /// The name the Sentinels know the master by (`master-name`).
    var masterName: String? {
        (try? String(contentsOfFile: directory + "/master-name", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// How many times the Sentinels switched the master: the most `+switch-master` lines any
    /// one Sentinel's log holds (each Sentinel logs every switch it learns of once).
    func switches() -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return Self.numbered(names, prefix: "sentinel-").map { name in
            Self.switches(inLog: (try? String(contentsOfFile: directory + "/" + name + "/redis.log", encoding: .utf8)) ?? "")
        }.max() ?? 0
    }

    /// The `+switch-master` lines of a Sentinel's log.
    static func switches(inLog text: String) -> Int {
        text.split(whereSeparator: \.isNewline).filter { $0.contains("+switch-master ") }.count
    }

    /// The pid of `node` when it runs.
    func pid(of node: Node) -> Int32? {
        ProcessControl.readPid(node.directory + "/redis.pid").flatMap { ProcessControl.isAlive($0) ? $0 : nil }
    }

    /// The master's port as the first Sentinel that answers names it (`ha_master_port`); nil
    /// when none does.
    func masterPort(children: ChildProcesses) async -> Int? {
        guard let (status, output) = try? await children.run(lib("ha_master_port"), timeout: .seconds(10)), status == 0 else { return nil }
        return Int(output.trimmingCharacters(in: .whitespacesAndNewlines).split(whereSeparator: \.isNewline).last ?? "")
    }

    /// Starts whatever of the topology is not running, on its port and with the role its
    /// configuration last recorded, and returns once it has settled (`start_ha DIR`: every
    /// Sentinel names one master and knows every replica, every replica's link is up; up to
    /// 30 s, after which start_ha stops the whole topology and this throws with its output).
    func startWhatIsStopped(children: ChildProcesses) async throws {
        let (status, output) = try await children.run(lib("start_ha"), timeout: .seconds(60))
        guard status == 0 else {
            let tail = output.trimmingCharacters(in: .whitespacesAndNewlines).suffix(600)
            throw ChaosProblem("start_ha \(directory) failed (\(status.map(String.init) ?? "timed out")): \(tail)")
        }
    }

    private func lib(_ function: String) -> [String] {
        ["/bin/bash", "-c", #"source "$0" && "$1" "$2""#, library, function, directory]
    }
}
