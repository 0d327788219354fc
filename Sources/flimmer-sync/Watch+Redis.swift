import ArgumentParser
import FlimmerLogging
import RedisClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Watch {
    /// PSUBSCRIBEs `invalidate:*` and prints `family`'s messages; reconnects after a drop.
    ///
    /// hiredis blocks, and this is the process's only work, so it runs on the calling thread.
    func watchRedis(configuration: RedisConfiguration, family: String) throws {
        var backoff: Duration = .milliseconds(100)
        while true {
            do {
                let connection = try RedisConnection(configuration: configuration)
                defer { connection.close() }
                try connection.write([RedisCommand("PSUBSCRIBE", "invalidate:*")])
                while true {
                    guard let reply = try connection.readReply(timeout: .seconds(1)) else { continue }
                    if let message = reply.errorMessage {
                        // NOPERM and the like: retrying will not help.
                        Watch.note("Redis refused PSUBSCRIBE invalidate:*: \(message) (\(configuration.redactedURL))")
                        throw ExitCode(1)
                    }
                    guard let parts = reply.array, let kind = parts.first?.string else { continue }
                    if kind == "psubscribe" {
                        backoff = .milliseconds(100)
                        Watch.note("watching invalidate:* for family \(family) on \(configuration.redactedURL)")
                    } else if kind == "pmessage", parts.count == 4, let channel = parts[2].string, case .bulkString(let data) = parts[3] {
                        guard InvalidationLine.family(of: data) == family else { continue }
                        let text = String(decoding: data, as: UTF8.self)
                        let line = InvalidationLine.make(
                            event: "invalidate",
                            data: text,
                            receivedAt: LogRecord.now(),
                            nowMilliseconds: InvalidationLine.nowMilliseconds()
                        )
                        Watch.emit(line ?? "\(LogRecord.now())  invalidate  channel=\(channel) (not a JSON object)")
                    }
                }
            } catch let error as RedisError {
                Watch.note("Redis: \(error.message); reconnecting in \(backoff)")
                usleep(UInt32(backoff.components.seconds * 1_000_000 + backoff.components.attoseconds / 1_000_000_000_000))
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }
}
