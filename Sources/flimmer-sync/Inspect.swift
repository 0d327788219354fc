import ArgumentParser
import ContentQueue
import Foundation
import Logging
import RedisClient

/// `flimmer-sync inspect`: a family's queue, versions and items, read from Redis.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a family's queue, versions, epoch and items, read from Redis (read-only).",
        discussion: "Works as Redis's read-only operator user: REDIS_URL=redis://operator:PASSWORD@host:port/0."
    )

    @Option(help: "Family id: 1-64 of A-Z a-z 0-9 _ -.")
    var family: String

    @Option(name: .customLong("redis-url"), help: "redis://[[user]:password@]host[:port][/db] (env REDIS_URL). Default redis://127.0.0.1:6379/0.")
    var redisURL: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        if FamilyID(family) == nil { throw ValidationError("--family must be 1-64 of A-Z a-z 0-9 _ -") }
    }

    func run() async throws {
        let configuration = try RedisURLOption.configuration(flag: redisURL)
        let inspection: FamilyInspection
        do {
            inspection = try await Self.read(family: FamilyID(family)!, from: configuration)
        } catch {
            let message = (error as? RedisError)?.message ?? (error as? ContentQueueError)?.message ?? "\(error)"
            FileHandle.standardError.write(Data("error: \(message) (\(configuration.redactedURL))\n".utf8))
            throw ExitCode(1)
        }
        print(json ? try Self.json(inspection) : Self.table(inspection))
    }

    /// The family as Redis holds it now, read with a client of its own.
    static func read(family: FamilyID, from configuration: RedisConfiguration) async throws -> FamilyInspection {
        var logger = Logger(label: "flimmer-sync")
        logger.logLevel = .error
        let redis = RedisClient(configuration: configuration, logger: logger)
        do {
            let inspection = try await ContentQueueStore(redis: redis, logger: logger).inspect(family: family)
            await redis.shutdown()
            return inspection
        } catch {
            await redis.shutdown()
            throw error
        }
    }

    static func json(_ inspection: FamilyInspection) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(inspection), as: UTF8.self)
    }

    static func table(_ inspection: FamilyInspection) -> String {
        var lines = ["family \(inspection.family)   epoch \(inspection.epoch ?? "(none)")   version \(inspection.version)"]
        let others = inspection.versions.filter { $0.key != ContentQueueStore.invalidationKey }.sorted { $0.key < $1.key }
        if !others.isEmpty {
            lines.append("other keys' versions: " + others.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        for (name, items) in [("pending", inspection.pending), ("approved", inspection.approved), ("rejected", inspection.rejected)] {
            lines.append("")
            lines.append("\(name) (\(items.count))")
            guard !items.isEmpty else { continue }
            lines.append(
                "  " + ["ID".padded(32), "CHILD".padded(12), "CREATED".padded(24), "DECIDED BY".padded(12), "TITLE"].joined(separator: "  ")
            )
            for item in items {
                let title = item.title.count > 40 ? String(item.title.prefix(39)) + "…" : item.title
                lines.append(
                    "  "
                        + [item.id.padded(32), item.childId.padded(12), item.createdAt.padded(24), (item.decidedBy ?? "-").padded(12), title].joined(
                            separator: "  "
                        )
                )
            }
        }
        if !inspection.missing.isEmpty {
            lines.append("")
            lines.append("listed without an item hash: \(inspection.missing.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
