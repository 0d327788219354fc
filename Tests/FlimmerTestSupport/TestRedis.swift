import ContentQueue
import RedisClient

/// Runs `body` with a client of the test Redis (or of `configuration`) and always shuts the
/// client down afterwards, so that no test leaves a pool of threads and connections behind.
@discardableResult
public func withTestRedis<Result>(
    configuration: RedisConfiguration? = nil,
    onReconnect: @escaping @Sendable () -> Void = {},
    onMasterChange: @escaping @Sendable (RedisNodeAddress) -> Void = { _ in },
    isolation: isolated (any Actor)? = #isolation,
    _ body: (RedisClient) async throws -> Result
) async throws -> Result {
    let redis = RedisClient(
        configuration: try configuration ?? TestEnvironment.redisConfiguration(),
        logger: TestEnvironment.logger,
        onReconnect: onReconnect,
        onMasterChange: onMasterChange
    )
    do {
        let result = try await body(redis)
        await redis.shutdown()
        return result
    } catch {
        await redis.shutdown()
        throw error
    }
}

/// ``withTestRedis(configuration:onReconnect:onMasterChange:isolation:_:)`` with a content store on that client.
public func withTestStore<Result>(
    configuration: RedisConfiguration? = nil,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (ContentQueueStore, RedisClient) async throws -> Result
) async throws -> Result {
    try await withTestRedis(configuration: configuration) { redis in
        try await body(ContentQueueStore(redis: redis, logger: TestEnvironment.logger), redis)
    }
}
