import ContentQueue
import RedisClient

/// Runs `body` and fails, by throwing, if it changed any key of `family` in the test Redis or
/// published anything about `family`: what every rejected request must leave behind.
public func expectingNoChange<Result>(
    to family: FamilyID,
    isolation: isolated (any Actor)? = #isolation,
    _ body: () async throws -> Result
) async throws -> Result {
    try await withTestRedis { redis in
        let recorder = try await PublishRecorder.start()
        defer { recorder.stop() }
        let before = try await RedisSnapshot.take(redis, family: family)
        let result = try await body()
        let after = try await RedisSnapshot.take(redis, family: family)
        guard after == before else { throw TestFailure("Redis changed.\nbefore:\n\(before)\nafter:\n\(after)") }
        try await recorder.barrier()
        let published = recorder.messages(family: family)
        guard published.isEmpty else { throw TestFailure("published: \(published)") }
        return result
    }
}
