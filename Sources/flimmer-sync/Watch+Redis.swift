import ArgumentParser
import ContentQueue
import FlimmerLogging
import Logging
import RedisClient

extension Watch {
    /// PSUBSCRIBEs `invalidate:*` (classic pub/sub) and SSUBSCRIBEs the family's shard channel
    /// `invalidate:{F}` (sharded), on one connection to the node that serves the family (in a
    /// cluster, classic messages reach every node), and prints `family`'s messages; subscribes
    /// again after a drop, or where the channel's slot went when Redis ends it (`sunsubscribe`).
    func watchRedis(configuration: RedisConfiguration, family: String) async throws {
        let shardChannel = InvalidationPayload.shardChannel(family: family)
        let redis = RedisClient(configuration: configuration, logger: Logger(label: "flimmer-sync.watch"))
        defer { Task { await redis.shutdown() } }
        var backoff: Duration = .milliseconds(100)
        while true {
            do {
                let moved = AsyncStream<Void>.makeStream()
                let subscription = try await redis.subscribe(
                    slot: RedisSlot(key: shardChannel),
                    patterns: ["invalidate:*"],
                    shardChannels: [shardChannel]
                ) { message in
                    if message.kind == .shardChannelClosed {
                        moved.continuation.yield()
                        return
                    }
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
                Watch.note("watching invalidate:* and \(shardChannel) for family \(family) on \(configuration.redactedURL)")
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await subscription.closed() }
                    group.addTask {
                        var iterator = moved.stream.makeAsyncIterator()
                        _ = await iterator.next()
                    }
                    await group.next()
                    group.cancelAll()
                }
                subscription.close()
                moved.continuation.finish()
                redis.topologyMayHaveChanged()
                Watch.note("Redis: the subscription ended (connection closed, or the family's slot moved); subscribing again")
            } catch let error as RedisError where error.code == .server {
                // NOPERM and the like: retrying will not help.
                Watch.note("Redis refused PSUBSCRIBE invalidate:* or SSUBSCRIBE \(shardChannel): \(error.message) (\(configuration.redactedURL))")
                throw ExitCode(1)
            } catch let error as RedisError {
                Watch.note("Redis: \(error.message); reconnecting in \(backoff)")
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }
}
