import ArgumentParser
import Foundation
import RedisClient

/// The Redis that `serve` and `inspect` talk to: `--redis-url`, else REDIS_URL, else the local default.
enum RedisURLOption {
    /// The Redis of a `RedisConfiguration` left at its defaults.
    static var defaultURL: String { RedisConfiguration().redactedURL }

    /// Parses the URL; a malformed one is a usage error whose message never repeats the URL.
    static func configuration(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RedisConfiguration {
        do {
            guard let url = flag ?? environment["REDIS_URL"] else { return RedisConfiguration() }
            return try RedisConfiguration(url: url)
        } catch let error as RedisError {
            throw ValidationError(error.message)
        }
    }
}
