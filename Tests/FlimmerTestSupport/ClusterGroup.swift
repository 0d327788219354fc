import Foundation

/// A Redis Cluster of the test's own: masters and their replicas, each a process
/// (``RedisProcess``) on free loopback ports with its files in one temporary folder, that the
/// test kills, pauses, restarts, fails over and reshards one slot at a time. Everything is
/// stopped and removed when the group goes away.
///
/// The configuration is the repository's: redis/cluster.conf (`cluster-node-timeout` 2000)
/// and redis/users.acl (default user off; the replicas log in as `replicator`), rendered by
/// the same scripts/lib.sh functions as `scripts/run --cluster` (render_acl,
/// render_cluster_node_conf), and the nodes are made one cluster by its cluster_create
/// (`redis-cli --cluster create`) as the user `clusteradmin`, as there. Nodes are looked at and
/// driven with redis-cli, never with this package's RedisClient: the fixture must not depend
/// on the client it helps to test. Fails, never skips, when redis-server, redis-cli or timeout
/// is missing.
public final class ClusterGroup: @unchecked Sendable {
    /// A user name and its password.
    public typealias Credentials = SentinelGroup.Credentials

    /// One node as CLUSTER NODES on some node describes it.
    public struct Node: Sendable, Equatable {
        public var id: String
        public var port: Int
        /// CLUSTER NODES's flags without `myself`: `master` or `slave`, and `fail?` (this node
        /// cannot reach it), `fail` (the majority of masters agreed), `handshake`, `noaddr`, … .
        public var flags: [String]
        /// The id of its master, for a replica.
        public var masterID: String?
        /// The slots it serves, for a master (a slot being migrated is still the source's).
        public var slots: [ClosedRange<Int>]

        public var isMaster: Bool { flags.contains("master") }
        public var isFailing: Bool { flags.contains("fail") || flags.contains("fail?") }
    }

    /// The number of hash slots of every Redis Cluster.
    public static let slotCount = 16384

    /// The folder holding every node's configuration, nodes.conf, data and log (`node-1/`, …)
    /// and the rendered ACL (`acl/`); removed with the group.
    public let directory: String
    /// Every node's port, in the order given to `redis-cli --cluster create`: the first
    /// ``masterCount`` started as the masters, the others as their replicas.
    public let ports: [Int]
    public let masterCount: Int
    public let replicasPerMaster: Int
    /// The all-powerful user `tester` (the same as ``SentinelGroup``'s), which the fixture
    /// drives the nodes as and tests may use to seed or read data.
    public let adminCredentials: Credentials
    /// The gateway's user of redis/users.acl, `flimmer`, with the password rendered for it.
    public let gatewayCredentials: Credentials
    private let aclDirectory: String
    private let members = RedisProcessSet(member: "node")
    /// Held for the group's lifetime: one topology at a time (``TopologyTicket``). Given back
    /// when the group goes away, after its deinit stopped every process.
    private let ticket: TopologyTicket

    /// Starts the nodes, makes them one cluster and returns once it has settled (see
    /// ``waitUntilSettled(timeout:)``).
    ///
    /// - Parameters:
    ///   - masters: 3 by default, the fewest `redis-cli --cluster create` accepts (with two, the
    ///     loss of one leaves no majority to elect its replica).
    ///   - replicasPerMaster: 1 by default, as `scripts/run --cluster`.
    ///   - persistent: the nodes run redis/redis.conf (AOF, `appendfsync always`) under
    ///     redis/cluster.conf; otherwise without any persistence, so a restarted node comes back
    ///     empty: a master restarted before its replica took over then serves its slots empty.
    ///     nodes.conf, the node's place in the cluster, is kept either way.
    public init(masters: Int = 3, replicasPerMaster: Int = 1, persistent: Bool = false) async throws {
        guard let server = RedisProcess.which("redis-server"), RedisProcess.which("redis-cli") != nil,
            RedisProcess.which("timeout") != nil
        else {
            throw TestFailure("redis-server, redis-cli or timeout is not installed: run the tests with scripts/test")
        }
        guard masters >= 3, replicasPerMaster >= 0 else { throw TestFailure("a Redis Cluster needs at least 3 masters") }
        self.ticket = await TopologyTicket.take()
        let count = masters * (1 + replicasPerMaster)
        // A client port and a cluster bus port per node (render_cluster_node_conf).
        let ports = try RedisProcess.freePorts(2 * count)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flimmer-cluster-\(UUID().uuidString)").path
        let aclDirectory = directory + "/acl"
        let admin = Credentials(user: "tester", password: UUID().uuidString.replacingOccurrences(of: "-", with: ""))
        let gatewayPassword: String
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            TestEnvironment.labelFolder(directory)
            try ScriptLibrary.run("render_acl", aclDirectory, "user \(admin.user) on >\(admin.password) ~* &* +@all")
            gatewayPassword = try Self.password(in: aclDirectory, file: "gateway")
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        self.directory = directory
        self.aclDirectory = aclDirectory
        self.ports = Array(ports[..<count])
        self.masterCount = masters
        self.replicasPerMaster = replicasPerMaster
        self.adminCredentials = admin
        self.gatewayCredentials = Credentials(user: "flimmer", password: gatewayPassword)
        do {
            try await start(server: server, busPorts: Array(ports[count...]), persistent: persistent)
        } catch {
            stopAll()
            throw error
        }
    }

    deinit {
        stopAll()
        TestEnvironment.removeFolder(directory)
    }

    /// The gateway's URL on this group: `redis+cluster://[user:password@]127.0.0.1:P1,…` with every
    /// node as a seed (no credentials part when both are nil), as scripts/lib.sh's cluster_seed_url.
    public func seedURL(user: String?, password: String?) -> String {
        var credentials = ""
        if user != nil || password != nil {
            let name = (user ?? "").addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? ""
            let secret = password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? "") } ?? ""
            credentials = name + secret + "@"
        }
        return "redis+cluster://\(credentials)\(ports.map { "127.0.0.1:\($0)" }.joined(separator: ","))"
    }

    /// ``seedURL(user:password:)`` as `user` of the repository's ACL with the password the group rendered for it.
    public func seedURL(aclUser user: String) throws -> String {
        seedURL(user: user, password: try password(ofACLUser: user))
    }

    /// The password of `user` on the nodes: a user of redis/users.acl (`flimmer`, `operator`,
    /// `replicator`, `sentinel`, `clusteradmin`) or the admin `tester`.
    public func password(ofACLUser user: String) throws -> String {
        if user == adminCredentials.user { return adminCredentials.password }
        // render_acl names each password file after its placeholder; the gateway's user is flimmer.
        return try Self.password(in: aclDirectory, file: user == "flimmer" ? "gateway" : user)
    }

    // MARK: - Asking

    /// What redis-cli prints for `arguments` on the node at `port`, logged in as the admin
    /// (``adminCredentials``); with `followingRedirects`, as `redis-cli -c`, which follows MOVED
    /// and ASK to the node they name. Error replies come back as text (`MOVED 866 127.0.0.1:…`,
    /// `NOPERM …`); fails when nothing answers within 2 s.
    public func command(_ arguments: [String], on port: Int, followingRedirects: Bool = false) throws -> String {
        try command(arguments, on: port, as: adminCredentials, followingRedirects: followingRedirects)
    }

    /// ``command(_:on:followingRedirects:)`` logged in as `login`; nil: without logging in (the
    /// default user, which is off).
    public func command(_ arguments: [String], on port: Int, as login: Credentials?, followingRedirects: Bool = false) throws -> String {
        let options = followingRedirects ? ["-c"] : []
        guard let output = RedisProcess.cli(port: port, login: login.map { ($0.user, $0.password) }, options + arguments) else {
            throw TestFailure("no answer from 127.0.0.1:\(port) to \(arguments.first ?? "")")
        }
        return output
    }

    /// The `field:value` lines of an INFO section, or of CLUSTER INFO (`["CLUSTER", "INFO"]`),
    /// of the node at `port`.
    public func fields(_ arguments: [String], of port: Int) throws -> [String: String] {
        var fields: [String: String] = [:]
        for line in try command(arguments, on: port).split(whereSeparator: \.isNewline) {
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// The fields of one INFO section of the node at `port` (e.g. `replication`: `role`,
    /// `master_port`, `master_link_status`, …).
    public func info(_ section: String, of port: Int) throws -> [String: String] {
        try fields(["INFO", section], of: port)
    }

    /// The first element of ROLE at `port`: `master` or `slave`.
    public func role(of port: Int) throws -> String {
        String(try command(["ROLE"], on: port).split(whereSeparator: \.isNewline).first ?? "")
    }

    /// The node id of the node at `port` (CLUSTER MYID).
    public func nodeID(of port: Int) throws -> String {
        let id = try command(["CLUSTER", "MYID"], on: port)
        guard id.count == 40 else { throw TestFailure("CLUSTER MYID on \(port) answered \(id)") }
        return id
    }

    /// The cluster as CLUSTER NODES on the node at `port` describes it; nil: on the first node
    /// that runs.
    public func nodes(seenBy port: Int? = nil) throws -> [Node] {
        guard let port = port ?? ports.first(where: isRunning) else { throw TestFailure("no node of this group runs") }
        let reply = try command(["CLUSTER", "NODES"], on: port)
        var nodes: [Node] = []
        for line in reply.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ").map(String.init)
            // id ip:port@bus[,hostname] flags master ping-sent pong-received epoch link slot…
            guard fields.count >= 8, let address = fields[1].split(separator: "@").first,
                let nodePort = address.split(separator: ":").last.flatMap({ Int($0) })
            else { throw TestFailure("CLUSTER NODES on \(port): cannot read \(line)") }
            var slots: [ClosedRange<Int>] = []
            for range in fields.dropFirst(8) where !range.hasPrefix("[") {
                let bounds = range.split(separator: "-").compactMap { Int($0) }
                guard let low = bounds.first, let high = bounds.last, low <= high else {
                    throw TestFailure("CLUSTER NODES on \(port): slots \(range)")
                }
                slots.append(low...high)
            }
            let flags = fields[2].split(separator: ",").map(String.init).filter { $0 != "myself" }
            nodes.append(Node(id: fields[0], port: nodePort, flags: flags, masterID: fields[3] == "-" ? nil : fields[3], slots: slots))
        }
        return nodes
    }

    /// The ports of the masters that serve slots and are not failing, as the first node that
    /// runs sees them, in ascending order.
    public func masterPorts() throws -> [Int] {
        try nodes().filter { $0.isMaster && !$0.isFailing && !$0.slots.isEmpty }.map(\.port).sorted()
    }

    /// The ports of the replicas of the master at `master`, as the first node that runs sees them.
    public func replicaPorts(of master: Int) throws -> [Int] {
        let nodes = try nodes()
        guard let id = nodes.first(where: { $0.port == master })?.id else { throw TestFailure("no node on \(master) in the cluster") }
        return nodes.filter { !$0.isMaster && $0.masterID == id }.map(\.port).sorted()
    }

    /// The hash slot of `key` (CLUSTER KEYSLOT: of its hash tag, `{F}`, when it has one).
    public func slot(ofKey key: String) throws -> Int {
        guard let port = ports.first(where: isRunning) else { throw TestFailure("no node of this group runs") }
        let reply = try command(["CLUSTER", "KEYSLOT", key], on: port)
        guard let slot = Int(reply) else { throw TestFailure("CLUSTER KEYSLOT \(key) answered \(reply)") }
        return slot
    }

    /// The port of the master that serves `slot`, as the first node that runs sees it (during a
    /// migration: the source, which answers ASK for the keys it no longer has).
    public func port(ofSlot slot: Int) throws -> Int {
        guard let master = try nodes().first(where: { $0.isMaster && $0.slots.contains { $0.contains(slot) } }) else {
            throw TestFailure("no master serves slot \(slot)")
        }
        return master.port
    }

    /// The port of the master that serves `key`'s slot.
    public func masterPort(forKey key: String) throws -> Int {
        try port(ofSlot: try slot(ofKey: key))
    }

    // MARK: - Breaking

    /// SIGKILL of the node at `port`, as a crash.
    public func kill9(port: Int) throws {
        try members.kill9(port: port)
    }

    /// SIGSTOP of the node at `port`: its connections (clients' and the cluster bus's) stay
    /// open, nothing is answered; after cluster-node-timeout the others flag it failing.
    public func pause(port: Int) throws {
        try members.pause(port: port)
    }

    /// SIGCONT after ``pause(port:)``.
    public func resume(port: Int) throws {
        try members.resume(port: port)
    }

    /// Kills the node at `port` if it runs and starts it again on the same ports and folder, from
    /// its own configuration file and nodes.conf: with its identity and the role it last
    /// recorded (a master whose replica took over meanwhile becomes that replica's replica as
    /// soon as it hears of it). Returns once it answers PING.
    public func restart(port: Int) throws {
        try members.restart(port: port)
    }

    /// A manual failover (CLUSTER FAILOVER) asked of the replica at `replicaPort`: its master
    /// stops taking writes, the replica catches up, takes over the slots and the old master
    /// becomes its replica. Returns once the replica answers ROLE `master`; the others may
    /// not all know yet: wait with ``waitUntilSettled(timeout:)``.
    public func failover(replicaPort: Int, timeout: Duration = .seconds(15)) async throws {
        let reply = try command(["CLUSTER", "FAILOVER"], on: replicaPort)
        guard reply == "OK" else { throw TestFailure("CLUSTER FAILOVER on \(replicaPort) answered \(reply)") }
        try await eventually("\(replicaPort) to become a master", timeout: timeout, poll: .milliseconds(50)) {
            try role(of: replicaPort) == "master"
        }
    }

    // MARK: - Moving slots

    /// Moves `slot` with its keys from the master that serves it to the master at `target`,
    /// live: ``beginMigration(slot:from:to:)``, then ``finishMigration(slot:from:to:)``.
    public func migrate(slot: Int, to target: Int) async throws {
        let source = try port(ofSlot: slot)
        guard source != target else { throw TestFailure("slot \(slot) is already served by \(target)") }
        try beginMigration(slot: slot, from: source, to: target)
        try await finishMigration(slot: slot, from: source, to: target)
    }

    /// The first half of a slot migration, as `redis-cli --cluster reshard` does it: the
    /// target imports `slot` (CLUSTER SETSLOT … IMPORTING), then the source migrates it
    /// (… MIGRATING). From then on the source still answers for the keys it holds and sends
    /// the others on with -ASK; the target answers only after ASKING, and everyone else still
    /// names the source. Move keys with ``moveKeys(ofSlot:from:to:limit:)``.
    public func beginMigration(slot: Int, from source: Int, to target: Int) throws {
        let sourceID = try nodeID(of: source)
        let targetID = try nodeID(of: target)
        try expectOK(["CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", sourceID], on: target)
        try expectOK(["CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", targetID], on: source)
    }

    /// Moves up to `limit` keys of `slot` from `source` to `target` with MIGRATE (in batches of
    /// 100, each key gone from the source once the target has it), during a migration begun
    /// with ``beginMigration(slot:from:to:)``. Returns how many it moved. Keys are read from
    /// GETKEYSINSLOT's lines: no key may contain a line break.
    @discardableResult
    public func moveKeys(ofSlot slot: Int, from source: Int, to target: Int, limit: Int = .max) throws -> Int {
        var moved = 0
        while moved < limit {
            let reply = try command(["CLUSTER", "GETKEYSINSLOT", "\(slot)", "\(min(100, limit - moved))"], on: source)
            let keys = reply.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            if keys.isEmpty { break }
            let migrate = [
                "MIGRATE", "127.0.0.1", "\(target)", "", "0", "5000", "AUTH2", adminCredentials.user, adminCredentials.password, "KEYS",
            ]
            try expectOK(migrate + keys, on: source)
            moved += keys.count
        }
        return moved
    }

    /// The second half of a slot migration: moves the keys still on `source`, then assigns
    /// `slot` to `target` (CLUSTER SETSLOT … NODE) on the target first (which ends its importing
    /// state and bumps its config epoch, so that its claim wins), then on the source, then on
    /// every other master that runs; the replicas learn it from them. Returns once the cluster
    /// has settled (``waitUntilSettled(timeout:)``).
    public func finishMigration(slot: Int, from source: Int, to target: Int) async throws {
        try moveKeys(ofSlot: slot, from: source, to: target)
        let targetID = try nodeID(of: target)
        try expectOK(["CLUSTER", "SETSLOT", "\(slot)", "NODE", targetID], on: target)
        try expectOK(["CLUSTER", "SETSLOT", "\(slot)", "NODE", targetID], on: source)
        for port in try masterPorts() where port != source && port != target && isRunning(port) {
            try expectOK(["CLUSTER", "SETSLOT", "\(slot)", "NODE", targetID], on: port)
        }
        try await waitUntilSettled()
    }

    // MARK: - Waiting

    /// Waits until the cluster has settled as far as the nodes that run (neither killed nor
    /// paused) go: each answers cluster_state `ok` with all 16384 slots assigned and none
    /// failing; each knows every other running node, sees none of them failing or joining, and
    /// sees the same masters with the same slots and the same replicas of them as the others;
    /// the running masters serve all 16384 slots between them; every running replica's link to
    /// its master is up. Returns the masters' ports (``masterPorts()``).
    @discardableResult
    public func waitUntilSettled(timeout: Duration = .seconds(30)) async throws -> [Int] {
        try await eventuallyValue(
            "the cluster to settle: \(missing() ?? "settled at last")",
            timeout: timeout,
            poll: .milliseconds(50)
        ) {
            missing() == nil ? try? masterPorts() : nil
        }
    }

    /// What the cluster lacks to have settled, nil when nothing: see ``waitUntilSettled(timeout:)``.
    private func missing() -> String? {
        do {
            let running = ports.filter(isRunning)
            guard !running.isEmpty else { return "no node runs" }
            let expected = ["cluster_state": "ok", "cluster_slots_assigned": "\(Self.slotCount)", "cluster_slots_ok": "\(Self.slotCount)"]
            var agreed: (port: Int, view: [String])?
            for port in running {
                let state = try fields(["CLUSTER", "INFO"], of: port)
                for (field, value) in expected.sorted(by: { $0.key < $1.key }) where state[field] != value {
                    return "\(port) answers \(field):\(state[field] ?? "-")"
                }
                let nodes = try self.nodes(seenBy: port)
                let portByID = Dictionary(nodes.map { ($0.id, $0.port) }) { first, _ in first }
                var view: [String] = []
                var served = 0
                for other in running {
                    guard let node = nodes.first(where: { $0.port == other }) else { return "\(port) does not know \(other)" }
                    guard node.flags.allSatisfy({ $0 == "master" || $0 == "slave" }) else {
                        return "\(port) sees \(other) as \(node.flags.joined(separator: ","))"
                    }
                    let master = node.masterID.flatMap { portByID[$0] }.map(String.init) ?? "-"
                    view.append("\(other) \(node.isMaster ? "master" : "replica of \(master)") \(node.slots)")
                    served += node.slots.reduce(0) { $0 + $1.count }
                }
                guard served == Self.slotCount else { return "\(port) sees the running masters serve \(served) of \(Self.slotCount) slots" }
                view.sort()
                if let agreed, agreed.view != view { return "\(agreed.port) and \(port) see different clusters: \(agreed.view) / \(view)" }
                agreed = (port, view)
                if let me = nodes.first(where: { $0.port == port }), !me.isMaster {
                    let replication = try info("replication", of: port)
                    let master = me.masterID.flatMap { portByID[$0] }
                    guard replication["master_link_status"] == "up", replication["master_port"] == master.map(String.init) else {
                        return "\(port) is not a linked replica of \(master.map(String.init) ?? "?"): master_port "
                            + "\(replication["master_port"] ?? "-"), link \(replication["master_link_status"] ?? "-")"
                    }
                }
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    // MARK: - Starting and stopping

    private func start(server: String, busPorts: [Int], persistent: Bool) async throws {
        for (index, port) in ports.enumerated() {
            let folder = "\(directory)/node-\(index + 1)"
            let base = persistent ? RedisProcess.repositoryRoot + "/redis/redis.conf" : ""
            try ScriptLibrary.run("render_cluster_node_conf", [folder, "\(port)", "\(busPorts[index])", "--acl", aclDirectory, "--base", base])
            var arguments = [
                server, "\(folder)/redis.conf", "--bind", "127.0.0.1", "--dir", folder, "--daemonize", "no", "--logfile", "\(folder)/redis.log",
                "--aclfile", "\(aclDirectory)/users.acl",
            ]
            if !persistent { arguments += ["--save", "", "--appendonly", "no"] }
            members.add(
                try RedisProcess(
                    port: port,
                    directory: folder,
                    arguments: arguments,
                    login: (adminCredentials.user, adminCredentials.password)
                ),
                port: port
            )
        }
        // As scripts/run --cluster does it, and so as the user it does it as.
        try ScriptLibrary.run(
            "cluster_create",
            ["\(replicasPerMaster)"] + ports.map(String.init),
            environment: ["REDIS_CLI_USER": "clusteradmin", "REDIS_CLI_PASS": try password(ofACLUser: "clusteradmin")]
        )
        try await waitUntilSettled()
    }

    /// SIGKILL to everything, within milliseconds: far less than cluster-node-timeout, so no
    /// replica takes over from a master already gone meanwhile.
    private func stopAll() {
        members.killAll(in: ports)
    }

    private func expectOK(_ arguments: [String], on port: Int) throws {
        let reply = try command(arguments, on: port)
        guard reply == "OK" else { throw TestFailure("\(arguments.prefix(4).joined(separator: " ")) on \(port) answered \(reply)") }
    }

    private func process(_ port: Int) throws -> RedisProcess {
        try members.process(port)
    }

    private func isRunning(_ port: Int) -> Bool {
        members.isRunning(port)
    }

    private static func password(in aclDirectory: String, file: String) throws -> String {
        let path = "\(aclDirectory)/\(file).password"
        guard let password = try? String(contentsOfFile: path, encoding: .utf8) else { throw TestFailure("no password in \(path)") }
        return password.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
