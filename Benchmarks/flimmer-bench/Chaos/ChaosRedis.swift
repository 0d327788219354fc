import ContentQueue
import Foundation
import Logging
import RedisClient

/// The chaos run's reads of Redis, through the project's own `RedisClient` and key layout:
/// the families' final versions, whether the acknowledged writes are there, and every item's
/// title. On a Sentinel topology it reads the master the Sentinels name, as the read-only
/// `operator` user.
struct ChaosRedis: Sendable {
    let client: RedisClient
    let store: ContentQueueStore
    /// The data nodes' `--dir`s, whose AOF files tell a lost write's story.
    let directories: [String]

    /// The run's one Redis.
    init(node: RedisNode) {
        self.init(
            configuration: RedisConfiguration(port: node.port, connectTimeout: .seconds(3), commandTimeout: .seconds(3), poolSize: 2),
            directories: [node.directory]
        )
    }

    /// Any Redis or Sentinel topology (`RedisConfiguration(url:)`).
    init(configuration: RedisConfiguration, directories: [String]) {
        let logger = Logger(label: "chaos.redis", factory: { _ in SwiftLogNoOpLogHandler() })
        client = RedisClient(configuration: configuration, logger: logger)
        store = ContentQueueStore(redis: client, logger: logger)
        self.directories = directories
    }

    /// Each family's epoch, generation and queue version.
    func finals(_ families: [String]) async throws -> [String: FamilyVersion] {
        let ids = families.compactMap(FamilyID.init)
        let versions = try await store.currentVersions(families: ids)
        return Dictionary(uniqueKeysWithValues: versions.map { ($0.key.rawValue, $0.value) })
    }

    /// Everything the checks compare with the acknowledged writes.
    func found(uploads: [Ack], decisions: [Ack], families: [String]) async throws -> ChaosChecks.Found {
        let exists = try await batched(uploads.map { (itemKey($0), RedisCommand("EXISTS", itemKey($0))) })
        let statuses = try await batched(decisions.map { (itemKey($0), RedisCommand("HGET", itemKey($0), "status")) })
        return ChaosChecks.Found(
            uploads: try exists.map { try $0.throwingServerError().int == 1 },
            statuses: try statuses.map { try $0.throwingServerError().string },
            finals: try await finals(families),
            items: try await items()
        )
    }

    /// Every item in Redis (`content:{F}:<id>`) with its title; on a cluster, of every master.
    func items() async throws -> [ChaosChecks.StoredItem] {
        guard client.configuration.cluster != nil else { return try await Self.items(client) }
        let reply = try await client.send(RedisCommand("CLUSTER", "SLOTS"))
        let ports = Set((try reply.throwingServerError().array ?? []).compactMap { $0.array?[2].array?[1].int })
        var items: [ChaosChecks.StoredItem] = []
        for port in ports.sorted() {
            var configuration = client.configuration
            configuration.cluster = nil
            configuration.port = port
            let master = RedisClient(configuration: configuration, logger: Logger(label: "chaos.redis", factory: { _ in SwiftLogNoOpLogHandler() }))
            do {
                items += try await Self.items(master)
                await master.shutdown()
            } catch {
                await master.shutdown()
                throw error
            }
        }
        return items
    }

    /// The items of one node.
    private static func items(_ client: RedisClient) async throws -> [ChaosChecks.StoredItem] {
        var keys: [String] = []
        var cursor = "0"
        repeat {
            let reply = try await client.send(RedisCommand("SCAN", cursor, "MATCH", "content:*", "COUNT", 1000))
            try reply.throwingServerError()
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let page = parts[1].array else {
                throw ChaosProblem("SCAN answered \(reply)")
            }
            keys += page.compactMap(\.string)
            cursor = next
        } while cursor != "0"
        var titles: [RedisValue] = []
        for start in stride(from: 0, to: keys.count, by: 500) {
            titles += try await client.pipeline(keys[start..<min(start + 500, keys.count)].map { RedisCommand("HGET", $0, "title") })
        }
        return try zip(keys, titles).compactMap { key, reply in
            try reply.throwingServerError()
            return ChaosChecks.StoredItem(key: key, title: reply.string)
        }
    }

    /// Whether the AOF files still hold `id`: tells a write that never reached the AOF (lost
    /// before the kill) from one that did but was not loaded back.
    func aofNote(_ id: String) -> String {
        var notes: [String] = []
        for directory in directories {
            let folder = directory + "/appendonlydir"
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder).sorted() else {
                notes.append("no AOF folder \(folder)")
                continue
            }
            let needle = Data(id.utf8)
            if let name = names.first(where: { FileManager.default.contents(atPath: folder + "/" + $0)?.range(of: needle) != nil }) {
                return "the id IS in the AOF file \(directories.count > 1 ? folder + "/" : "")\(name)"
            }
            notes.append("the id is in none of the AOF files (\(directories.count > 1 ? folder + ": " : "")\(names.joined(separator: ", ")))")
        }
        return notes.joined(separator: "; ")
    }

    func shutdown() async { await client.shutdown() }

    /// Families come from scripts/chaos's tokens and ids from the gateway's answers, which the
    /// load records only when they parse (`ChaosLoad`).
    private func itemKey(_ ack: Ack) -> String {
        ContentKeys(family: FamilyID(ack.family)!).item(ContentID(ack.id)!)
    }

    /// Each command sent to the node that serves its key (on a cluster), 500 at a time per
    /// slot; the replies in the commands' order.
    private func batched(_ commands: [(key: String, command: RedisCommand)]) async throws -> [RedisValue] {
        var replies = [RedisValue](repeating: .null, count: commands.count)
        let clustered = client.configuration.cluster != nil
        let groups = Dictionary(grouping: commands.indices) { clustered ? RedisSlot(key: commands[$0].key) : RedisSlot(0)! }
        for (slot, indices) in groups {
            for start in stride(from: 0, to: indices.count, by: 500) {
                let chunk = Array(indices[start..<min(start + 500, indices.count)])
                let answered = try await client.replies(to: chunk.map { commands[$0].command }, slot: clustered ? slot : nil).values
                for (index, reply) in zip(chunk, answered) { replies[index] = reply }
            }
        }
        return replies
    }
}
