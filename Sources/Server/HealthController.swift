import Gateway
import Hummingbird
import RedisClient

/// `/health/live` and `/health/ready`.
struct HealthController: Sendable {
    let redis: RedisClient
    let subscriber: InvalidationSubscriber

    private struct Status: Encodable {
        let status: String
        let redis: Bool
        let subscription: Bool
    }

    func register(on router: Router<some RequestContext>) {
        router.get("/health/live") { _, _ in
            try JSONResponse.make(["status": "ok"])
        }
        router.get("/health/ready") { _, _ in try await ready() }
    }

    /// Ready when Redis answers PING and the subscription is up.
    func ready() async throws -> Response {
        let redisUp = (try? await redis.send(RedisCommand("PING")))?.string == "PONG"
        let subscribed = subscriber.isSubscribed
        guard redisUp, subscribed else {
            let reason = redisUp ? "the Redis subscription is down" : "Redis does not answer"
            throw APIError(.serviceUnavailable, code: "not_ready", message: reason)
        }
        return try JSONResponse.make(Status(status: "ready", redis: redisUp, subscription: subscribed))
    }
}
