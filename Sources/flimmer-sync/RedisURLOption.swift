import ArgumentParser
import Foundation
import RedisClient

/// The Redis that `serve` and `inspect` talk to: `--redis-url`, else REDIS_URL, else the local default.
enum RedisURLOption {
    static let defaultURL = "redis://127.0.0.1:6379/0"

    /// Parses the URL; a malformed one is a usage error whose message never repeats the URL.
    static func configuration(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RedisConfiguration {
        do {
            return try RedisConfiguration(url: flag ?? environment["REDIS_URL"] ?? defaultURL)
        } catch let error as RedisError {
            throw ValidationError(error.message)
        }
    }
}
