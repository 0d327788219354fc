import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A Redis Sentinel topology of the test's own: a master, its replicas and the Sentinels that
/// watch it, each a process (``RedisProcess``) on a free loopback port with its files in one
/// temporary folder, that the test kills, pauses and restarts one at a time. Everything is
/// stopped and removed when the group goes away.
///
/// The configuration is the repository's: redis/ha.conf for the data nodes, redis/sentinel.conf
/// for the Sentinels (`down-after-milliseconds` 1000), rendered by the same scripts/lib.sh
/// functions as `scripts/run --ha`. Nodes are looked at with redis-cli, never with this
/// package's RedisClient: the fixture must not depend on the client it helps to test.
/// Fails, never skips, when redis-server (which runs the Sentinels too, as
/// `redis-server --sentinel`) or redis-cli is missing.
public final class SentinelGroup: @unchecked Sendable {
    /// A user name and its password.
    public struct Credentials: Sendable, Equatable {
        public var user: String
        public var password: String

        public init(user: String, password: String) {
            self.user = user
            self.password = password
        }
    }

    /// The name the Sentinels know the master by: the last part of a `redis+sentinel://` URL.
    public let masterName: String
    /// The folder holding every node's and Sentinel's configuration, data and log (`node-1/`,
    /// `sentinel-1/`, …, `acl/`); removed with the group.
    public let directory: String
    /// The data nodes' ports: the first started as the master, the others as its replicas.
    public let dataPorts: [Int]
    /// The Sentinels' ports.
    public let sentinelPorts: [Int]
    /// The user the Sentinels themselves require (their default user is then off); nil when
    /// they take anyone, as locally.
    public let sentinelCredentials: Credentials?
    /// The all-powerful user the fixture inspects the data nodes as, which tests may use to
    /// seed or read data: `tester` when the data nodes load the repository's ACL; nil (the
    /// default user, open) otherwise.
    public let adminCredentials: Credentials?
    private let aclDirectory: String?
    private let members = RedisProcessSet(member: "node or Sentinel")
    /// Held for the group's lifetime: one topology at a time (``TopologyTicket``). Given back
    /// when the group goes away, after its deinit stopped every process.
    private let ticket: TopologyTicket

    /// Starts the group and returns once it has settled (see ``waitUntilSettled(timeout:)``).
    ///
    /// - Parameters:
    ///   - replicas: data nodes that start as replicas of the first. 2 by default: with
    ///     redis/ha.conf's `min-replicas-to-write 1`, the fewest that stay writable after a
    ///     failover.
    ///   - sentinels: Sentinels, 3 by default (redis/sentinel.conf's quorum is 2).
    ///   - masterName: the name the Sentinels monitor the master under.
    ///   - acl: the data nodes load the repository's redis/users.acl (default user off; the
    ///     replicas log in as `replicator`, the Sentinels as `sentinel`) plus ``adminCredentials``;
    ///     otherwise their default user is open and nobody logs in.
    ///   - persistent: the data nodes run redis/redis.conf (AOF, `appendfsync always`) under
    ///     redis/ha.conf; otherwise without any persistence, so a restarted node comes back
    ///     empty (and restarting the master before the Sentinels notice empties its replicas
    ///     too: Redis's own warning about masters without persistence).
    ///   - sentinelCredentials: the Sentinels require this user and log in to each other as it;
    ///     nil: no password on the Sentinels.
    public init(
        replicas: Int = 2,
        sentinels: Int = 3,
        masterName: String = "flimmersync",
        acl: Bool = false,
        persistent: Bool = false,
        sentinelCredentials: Credentials? = nil
    ) async throws {
        guard let server = RedisProcess.which("redis-server"), RedisProcess.which("redis-cli") != nil,
            RedisProcess.which("timeout") != nil
        else {
            throw TestFailure(
                "redis-server (Sentinels run as redis-server --sentinel), redis-cli or timeout is not installed: run the tests with scripts/test"
            )
        }
        guard replicas >= 0, sentinels >= 1 else { throw TestFailure("a group needs a master and at least one Sentinel") }
        self.ticket = await TopologyTicket.take()
        let ports = try RedisProcess.freePorts(1 + replicas + sentinels)
        self.masterName = masterName
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("flimmer-sentinel-\(UUID().uuidString)").path
        self.dataPorts = Array(ports[0...replicas])
        self.sentinelPorts = Array(ports[(replicas + 1)...])
        self.sentinelCredentials = sentinelCredentials
        self.aclDirectory = acl ? directory + "/acl" : nil
        self.adminCredentials = acl ? Credentials(user: "tester", password: UUID().uuidString.replacingOccurrences(of: "-", with: "")) : nil
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            TestEnvironment.labelFolder(directory)
            try await start(server: server, persistent: persistent)
        } catch {
            stopAll()
            throw error
        }
    }

    deinit {
        stopAll()
        TestEnvironment.removeFolder(directory)
    }

    /// The Sentinels as `127.0.0.1:PORT`.
    public var sentinelAddresses: [String] { sentinelPorts.map { "127.0.0.1:\($0)" } }

    /// The gateway's URL on this group: `redis+sentinel://[user:password@]127.0.0.1:S1,…/NAME/DB`
    /// (no credentials part when both are nil). The credentials are the data nodes' user.
    public func url(user: String?, password: String?, database: Int = 0) -> String {
        var credentials = ""
        if user != nil || password != nil {
            let name = (user ?? "").addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? ""
            let secret = password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? "") } ?? ""
            credentials = name + secret + "@"
        }
        return "redis+sentinel://\(credentials)\(sentinelAddresses.joined(separator: ","))/\(masterName)/\(database)"
    }

    /// The gateway's URL as `user` of the repository's ACL (`flimmer`, `operator`, …) with the
    /// password the group rendered for it.
    public func url(aclUser user: String, database: Int = 0) throws -> String {
        url(user: user, password: try password(ofACLUser: user), database: database)
    }

    /// The password of `user` on the data nodes: a user of redis/users.acl (`flimmer`,
    /// `operator`, `replicator`, `sentinel`) or the admin `tester`. Fails on a group without the ACL.
    public func password(ofACLUser user: String) throws -> String {
        guard let aclDirectory, let adminCredentials else { throw TestFailure("this group runs without the repository's ACL") }
        if user == adminCredentials.user { return adminCredentials.password }
        // render_acl names each password file after its placeholder; the gateway's user is flimmer.
        let file = "\(aclDirectory)/\(user == "flimmer" ? "gateway" : user).password"
        guard let password = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw TestFailure("no password for ACL user \(user) (\(file))")
        }
        return password.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What a gateway process needs beside the URL to reach the Sentinels: REDIS_SENTINEL_USERNAME
    /// and REDIS_SENTINEL_PASSWORD when they require a user; empty otherwise.
    public var sentinelEnvironment: [String: String] {
        guard let sentinelCredentials else { return [:] }
        return ["REDIS_SENTINEL_USERNAME": sentinelCredentials.user, "REDIS_SENTINEL_PASSWORD": sentinelCredentials.password]
    }

    // MARK: - Asking

    /// What redis-cli prints for `arguments` on the node or Sentinel at `port`: logged in as the
    /// admin (``adminCredentials``) on a data node, with ``sentinelCredentials`` on a Sentinel.
    /// Error replies come back as text (`NOPERM …`); fails when nothing answers within 2 s.
    public func command(_ arguments: [String], on port: Int) throws -> String {
        try command(arguments, on: port, as: sentinelPorts.contains(port) ? sentinelCredentials : adminCredentials)
    }

    /// ``command(_:on:)`` logged in as `login`; nil: without logging in (the default user).
    public func command(_ arguments: [String], on port: Int, as login: Credentials?) throws -> String {
        guard let output = RedisProcess.cli(port: port, login: login.map { ($0.user, $0.password) }, arguments) else {
            throw TestFailure("no answer from 127.0.0.1:\(port) to \(arguments.first ?? "")")
        }
        return output
    }

    /// The fields of one INFO section of the data node at `port` (e.g. `replication`:
    /// `role`, `master_port`, `master_link_status`, `master_replid`, …).
    public func info(_ section: String, of port: Int) throws -> [String: String] {
        var fields: [String: String] = [:]
        for line in try command(["INFO", section], on: port).split(whereSeparator: \.isNewline) {
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// The first element of ROLE at `port`: `master`, `slave` or `sentinel`.
    public func role(of port: Int) throws -> String {
        String(try command(["ROLE"], on: port).split(whereSeparator: \.isNewline).first ?? "")
    }

    /// The master's port as the Sentinels name it now: the answer of every running Sentinel,
    /// which must agree (they do not while a failover is being announced).
    public func masterPort() throws -> Int {
        var answers: Set<Int> = []
        for port in sentinelPorts where isRunning(port) {
            let reply = try command(["SENTINEL", "get-master-addr-by-name", masterName], on: port).split(whereSeparator: \.isNewline)
            guard reply.count == 2, let master = Int(reply[1]) else { throw TestFailure("Sentinel \(port) names no master: \(reply)") }
            answers.insert(master)
        }
        guard answers.count == 1, let master = answers.first else { throw TestFailure("the running Sentinels name the masters \(answers.sorted())") }
        return master
    }

    /// ``masterPort()`` as text for a failure message: the port, or why the Sentinels name none.
    public var namedMaster: String {
        do {
            return String(try masterPort())
        } catch {
            return "none (\(error))"
        }
    }

    // MARK: - Breaking

    /// SIGKILL of the node or Sentinel at `port`, as a crash.
    public func kill9(port: Int) throws {
        try members.kill9(port: port)
    }

    /// SIGSTOP of the node or Sentinel at `port`: its connections stay open, nothing is answered.
    public func pause(port: Int) throws {
        try members.pause(port: port)
    }

    /// SIGCONT after ``pause(port:)``.
    public func resume(port: Int) throws {
        try members.resume(port: port)
    }

    /// Kills the node or Sentinel at `port` if it runs and starts it again on the same port and
    /// folder, from its own configuration file: a data node with the role that file last
    /// recorded (the Sentinels rewrite it at each change: a master killed before any failover
    /// comes back as a master, and the Sentinels make it a replica about 8 s later), a
    /// Sentinel with the state it saved. Returns once it answers PING.
    public func restart(port: Int) throws {
        try members.restart(port: port)
    }

    // MARK: - Waiting

    /// Waits until the failover from `oldMaster` is done as a client sees it: every running
    /// Sentinel names the same other node, that node answers ROLE `master`, and every other
    /// running data node (but `oldMaster`) is its replica with the link up, so that it takes
    /// writes (redis/ha.conf's `min-replicas-to-write`). Returns the new master's port.
    ///
    /// The Sentinels' own links to the new master may still be coming up (for a second or
    /// two): before breaking something else, wait with ``waitUntilSettled(timeout:)``.
    @discardableResult
    public func waitForFailover(from oldMaster: Int, timeout: Duration = .seconds(30)) async throws -> Int {
        try await eventuallyValue(
            "a failover from \(oldMaster): \(missing(excluding: oldMaster, sentinelsToo: false) ?? "done at last")",
            timeout: timeout,
            poll: .milliseconds(50)
        ) {
            guard let master = try? masterPort(), master != oldMaster, missing(excluding: oldMaster, sentinelsToo: false) == nil else { return nil }
            return master
        }
    }

    /// Waits until the group has settled: every running Sentinel names the same master, is
    /// connected to it and sees it up, knows every other data node as its replica and every
    /// other Sentinel (so that it can take part in the next failover); the master answers ROLE
    /// `master`; every other running data node is its replica with the link up. Returns the
    /// master's port.
    @discardableResult
    public func waitUntilSettled(timeout: Duration = .seconds(30)) async throws -> Int {
        try await eventuallyValue(
            "the group to settle: \(missing(excluding: nil, sentinelsToo: true) ?? "settled at last")",
            timeout: timeout,
            poll: .milliseconds(50)
        ) {
            missing(excluding: nil, sentinelsToo: true) == nil ? try? masterPort() : nil
        }
    }

    /// What the group lacks to have settled, nil when nothing: see ``waitUntilSettled(timeout:)``,
    /// without the Sentinels' own view unless `sentinelsToo`, and without `excluded` among the
    /// data nodes that must follow the master.
    private func missing(excluding excluded: Int?, sentinelsToo: Bool) -> String? {
        do {
            let master = try masterPort()
            for port in sentinelPorts where sentinelsToo && isRunning(port) {
                let fields = try sentinelMaster(on: port)
                if fields["flags"] != "master" { return "Sentinel \(port) sees the master \(master) as \(fields["flags"] ?? "?")" }
                if fields["num-slaves"] != "\(dataPorts.count - 1)" {
                    return "Sentinel \(port) knows \(fields["num-slaves"] ?? "?") of \(dataPorts.count - 1) replicas"
                }
                if fields["num-other-sentinels"] != "\(sentinelPorts.count - 1)" {
                    return "Sentinel \(port) knows \(fields["num-other-sentinels"] ?? "?") of \(sentinelPorts.count - 1) other Sentinels"
                }
            }
            if try role(of: master) != "master" { return "\(master) does not answer ROLE master" }
            for port in dataPorts where port != master && port != excluded && isRunning(port) {
                let replication = try info("replication", of: port)
                guard replication["role"] == "slave", replication["master_port"] == "\(master)", replication["master_link_status"] == "up" else {
                    return "\(port) is not a linked replica of \(master): role \(replication["role"] ?? "?"), master_port "
                        + "\(replication["master_port"] ?? "-"), link \(replication["master_link_status"] ?? "-")"
                }
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// SENTINEL MASTER's fields on the Sentinel at `port`.
    private func sentinelMaster(on port: Int) throws -> [String: String] {
        let lines = try command(["SENTINEL", "MASTER", masterName], on: port).split(whereSeparator: \.isNewline).map(String.init)
        var fields: [String: String] = [:]
        for index in stride(from: 0, to: lines.count - 1, by: 2) { fields[lines[index]] = lines[index + 1] }
        return fields
    }

    // MARK: - Starting and stopping

    private func start(server: String, persistent: Bool) async throws {
        if let aclDirectory, let adminCredentials {
            try ScriptLibrary.run("render_acl", aclDirectory, "user \(adminCredentials.user) on >\(adminCredentials.password) ~* &* +@all")
        }
        let master = dataPorts[0]
        for (index, port) in dataPorts.enumerated() {
            let folder = "\(directory)/node-\(index + 1)"
            var render = [folder, "\(port)", "--base", persistent ? RedisProcess.repositoryRoot + "/redis/redis.conf" : ""]
            if port != master { render += ["--replica-of", "\(master)"] }
            if let aclDirectory { render += ["--acl", aclDirectory] }
            try ScriptLibrary.run("render_ha_node_conf", render)
            var arguments = [
                server, "\(folder)/redis.conf", "--bind", "127.0.0.1", "--dir", folder, "--daemonize", "no", "--logfile", "\(folder)/redis.log",
            ]
            if !persistent { arguments += ["--save", "", "--appendonly", "no"] }
            if let aclDirectory { arguments += ["--aclfile", "\(aclDirectory)/users.acl"] }
            members.add(
                try RedisProcess(
                    port: port,
                    directory: folder,
                    arguments: arguments,
                    login: adminCredentials.map { ($0.user, $0.password) }
                ),
                port: port
            )
        }
        // Linked before the Sentinels start, so that their first INFO of the master lists every
        // replica (the next comes 10 s later).
        try await eventually("every replica linked to \(master)", timeout: .seconds(20), poll: .milliseconds(50)) {
            try dataPorts.dropFirst().allSatisfy { try info("replication", of: $0)["master_link_status"] == "up" }
        }
        var ownLogin: [String] = []
        if let sentinelCredentials {
            let file = "\(directory)/sentinel-credentials.password"
            guard
                FileManager.default.createFile(
                    atPath: file,
                    contents: Data(sentinelCredentials.password.utf8),
                    attributes: [.posixPermissions: 0o600]
                )
            else { throw TestFailure("could not write \(file)") }
            ownLogin = ["--sentinel-user", sentinelCredentials.user, "--sentinel-password-file", file]
        }
        for (index, port) in sentinelPorts.enumerated() {
            let folder = "\(directory)/sentinel-\(index + 1)"
            try ScriptLibrary.run(
                "render_sentinel_conf",
                [folder, "\(port)", masterName, "\(master)"] + (aclDirectory.map { ["--acl", $0] } ?? []) + ownLogin
            )
            let arguments = [
                server, "\(folder)/sentinel.conf", "--sentinel", "--dir", folder, "--daemonize", "no", "--logfile", "\(folder)/redis.log",
            ]
            members.add(
                try RedisProcess(
                    port: port,
                    directory: folder,
                    arguments: arguments,
                    login: sentinelCredentials.map { ($0.user, $0.password) }
                ),
                port: port
            )
        }
        try await waitUntilSettled()
    }

    /// SIGKILL to everything, the Sentinels first so that none starts a failover meanwhile.
    private func stopAll() {
        members.killAll(in: sentinelPorts + dataPorts)
    }

    private func process(_ port: Int) throws -> RedisProcess {
        try members.process(port)
    }

    private func isRunning(_ port: Int) -> Bool {
        members.isRunning(port)
    }
}
