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
        let exists = try await batched(uploads.map { RedisCommand("EXISTS", itemKey($0)) })
        let statuses = try await batched(decisions.map { RedisCommand("HGET", itemKey($0), "status") })
        return ChaosChecks.Found(
            uploads: try exists.map { try $0.throwingServerError().int == 1 },
            statuses: try statuses.map { try $0.throwingServerError().string },
            finals: try await finals(families),
            items: try await items()
        )
    }

    /// Every item in Redis (`content:{F}:<id>`) with its title.
    func items() async throws -> [ChaosChecks.StoredItem] {
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
        let titles = try await batched(keys.map { RedisCommand("HGET", $0, "title") })
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

    private func batched(_ commands: [RedisCommand]) async throws -> [RedisValue] {
        var replies: [RedisValue] = []
        for start in stride(from: 0, to: commands.count, by: 500) {
            replies += try await client.pipeline(Array(commands[start..<min(start + 500, commands.count)]))
        }
        return replies
    }
}
