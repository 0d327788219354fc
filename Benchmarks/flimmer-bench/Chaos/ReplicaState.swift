import ContentQueue
import Logging
import RedisClient

/// What one replica held when its master was killed: the dead master's generation and each
/// family's queue version, read after the replica's link to that master went down (so it has
/// applied all it had received) and before any Sentinel promoted it. The replica the Sentinels
/// promote starts its own history from exactly this state, so an event of the dead master's
/// generation above these versions announced a write the new master lacks.
struct ReplicaState: Sendable, Equatable {
    /// The replica's port.
    var port: Int
    /// The dead master's generation (the replica shares its replication id until promoted).
    var generation: String
    /// Family → queue version (0 for a family without one).
    var versions: [String: Int]

    /// Reads the replica on 127.0.0.1:`port` as the read-only `operator`; waits (up to `within`)
    /// until it reports its master link down. Throws when it does not, or when it has become a
    /// master by the time it is read (the state would no longer be the one it was promoted with).
    static func read(port: Int, password: String, families: [String], within: Duration = .seconds(2)) async throws -> ReplicaState {
        let configuration = RedisConfiguration(
            port: port,
            username: "operator",
            password: password,
            connectTimeout: .milliseconds(500),
            commandTimeout: .milliseconds(500),
            poolSize: 1
        )
        let client = RedisClient(configuration: configuration, logger: Logger(label: "chaos.replica", factory: { _ in SwiftLogNoOpLogHandler() }))
        do {
            let state = try await read(client, port: port, families: families, within: within)
            await client.shutdown()
            return state
        } catch {
            await client.shutdown()
            throw error
        }
    }

    private static func read(_ client: RedisClient, port: Int, families: [String], within: Duration) async throws -> ReplicaState {
        let deadline = ContinuousClock.now + within
        var lastInfo = ""
        while true {
            if let info = try? await client.send(RedisCommand("INFO", "replication")).string {
                lastInfo = info
                if !info.contains("role:slave") { throw ChaosProblem("replica :\(port) was a master before it could be read") }
                if info.contains("master_link_status:down") { break }
            }
            guard ContinuousClock.now < deadline else {
                throw ChaosProblem("replica :\(port) did not report its master link down within \(within): \(lastInfo.prefix(120))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let keys = families.map { ContentKeys(family: FamilyID($0)!).version }
        // One unit between two ROLEs: Redis runs a client's pipelined commands back to back, so
        // both saying `slave` means the versions were read before any promotion.
        let replies = try await client.replies(to: [
            RedisCommand("ROLE"), RedisCommand("MGET", keys.map { $0 as any RedisArgument }), RedisCommand("ROLE"),
        ]).values
        guard replies.count == 3, Self.isReplica(replies[0]), Self.isReplica(replies[2]), let values = replies[1].array else {
            throw ChaosProblem("replica :\(port) was promoted while it was read")
        }
        guard let generation = RedisGeneration(info: lastInfo)?.rawValue else {
            throw ChaosProblem("replica :\(port) named no master_replid")
        }
        var versions: [String: Int] = [:]
        for (family, value) in zip(families, values) { versions[family] = value.string.flatMap { Int($0) } ?? 0 }
        return ReplicaState(port: port, generation: generation, versions: versions)
    }

    private static func isReplica(_ role: RedisValue) -> Bool {
        role.array?.first?.string == "slave"
    }
}
