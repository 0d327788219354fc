import ContentQueue
import RedisClient

/// Every key of one family and its full contents, to prove that a rejected request changed nothing.
public struct RedisSnapshot: Equatable, Sendable, CustomStringConvertible {
    public let entries: [String: String]

    public static func take(_ redis: RedisClient, family: FamilyID) async throws -> RedisSnapshot {
        let connection = redis
        do {
            var keys: [String] = []
            var cursor = "0"
            repeat {
                let reply = try await connection.send(RedisCommand("SCAN", cursor, "MATCH", "*{\(family.rawValue)}*", "COUNT", 1000))
                guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let batch = parts[1].array else {
                    throw RedisError(.unexpectedReply, "SCAN answered \(reply)")
                }
                keys += batch.compactMap(\.string)
                cursor = next
            } while cursor != "0"
            var entries: [String: String] = [:]
            for key in keys {
                let type = try await connection.send(RedisCommand("TYPE", key)).string ?? "?"
                let value: RedisValue
                switch type {
                case "string": value = try await connection.send(RedisCommand("GET", key))
                case "list": value = try await connection.send(RedisCommand("LRANGE", key, 0, -1))
                case "hash": value = try await connection.send(RedisCommand("HGETALL", key))
                default: value = .simpleString(type)
                }
                var text = "\(type): \(value)"
                if type == "hash", let fields = value.fieldDictionary {
                    text = "hash: " + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                }
                entries[key] = text
            }
            return RedisSnapshot(entries: entries)
        }
    }

    public var description: String {
        entries.sorted { $0.key < $1.key }.map { "\($0.key) => \($0.value)" }.joined(separator: "\n")
    }
}
