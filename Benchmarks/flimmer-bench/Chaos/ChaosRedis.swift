import ContentQueue
import Foundation
import Logging
import RedisClient

/// The chaos run's reads of Redis, through the project's own `RedisClient` and key layout:
/// the families' final versions, and whether the acknowledged writes are there.
struct ChaosRedis: Sendable {
    let client: RedisClient
    let store: ContentQueueStore
    /// redis-server's `--dir`, whose AOF files tell a lost write's story.
    let directory: String

    init(node: RedisNode) {
        let logger = Logger(label: "chaos.redis", factory: { _ in SwiftLogNoOpLogHandler() })
        client = RedisClient(
            configuration: RedisConfiguration(port: node.port, connectTimeout: .seconds(3), commandTimeout: .seconds(3), poolSize: 2),
            logger: logger
        )
        store = ContentQueueStore(redis: client, logger: logger)
        directory = node.directory
    }

    /// Each family's epoch and queue version.
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
            finals: try await finals(families)
        )
    }

    /// Whether the AOF files still hold `id`: tells a write that never reached the AOF (lost
    /// before the kill) from one that did but was not loaded back.
    func aofNote(_ id: String) -> String {
        let folder = directory + "/appendonlydir"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder).sorted() else { return "no AOF folder \(folder)" }
        let needle = Data(id.utf8)
        for name in names {
            if let data = FileManager.default.contents(atPath: folder + "/" + name), data.range(of: needle) != nil {
                return "the id IS in the AOF file \(name)"
            }
        }
        return "the id is in none of the AOF files (\(names.joined(separator: ", ")))"
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
