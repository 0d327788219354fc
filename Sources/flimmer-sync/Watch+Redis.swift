import ArgumentParser
import FlimmerLogging
import Logging
import RedisClient

extension Watch {
    /// PSUBSCRIBEs `invalidate:*` and prints `family`'s messages; subscribes again after a drop.
    func watchRedis(configuration: RedisConfiguration, family: String) async throws {
        let redis = RedisClient(configuration: configuration, logger: Logger(label: "flimmer-sync.watch"))
        defer { Task { await redis.shutdown() } }
        var backoff: Duration = .milliseconds(100)
        while true {
            do {
                let subscription = try await redis.subscribe(patterns: ["invalidate:*"]) { message in
                    guard InvalidationLine.family(of: message.payload) == family else { return }
                    let text = String(decoding: message.payload, as: UTF8.self)
                    let line = InvalidationLine.make(
                        event: "invalidate",
                        data: text,
                        receivedAt: LogRecord.now(),
                        nowMilliseconds: InvalidationLine.nowMilliseconds()
                    )
                    Watch.emit(line ?? "\(LogRecord.now())  invalidate  channel=\(message.channel) (not a JSON object)")
                }
                backoff = .milliseconds(100)
                Watch.note("watching invalidate:* for family \(family) on \(configuration.redactedURL)")
                await subscription.closed()
                Watch.note("Redis: the subscription's connection closed; subscribing again")
            } catch let error as RedisError where error.code == .server {
                // NOPERM and the like: retrying will not help.
                Watch.note("Redis refused PSUBSCRIBE invalidate:*: \(error.message) (\(configuration.redactedURL))")
                throw ExitCode(1)
            } catch let error as RedisError {
                Watch.note("Redis: \(error.message); reconnecting in \(backoff)")
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }
}
