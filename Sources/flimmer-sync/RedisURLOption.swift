import ArgumentParser
import Foundation
import RedisClient

/// The Redis that `serve`, `inspect` and `watch` talk to: `--redis-url`, else REDIS_URL, else
/// the local default; with a `redis+sentinel://` URL, the Sentinels' own credentials from
/// REDIS_SENTINEL_USERNAME and REDIS_SENTINEL_PASSWORD.
enum RedisURLOption {
    /// The Redis of a `RedisConfiguration` left at its defaults.
    static var defaultURL: String { RedisConfiguration().redactedURL }

    /// Parses the URL; a malformed one is a usage error whose message never repeats the URL.
    static func configuration(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RedisConfiguration {
        do {
            guard let url = flag ?? environment["REDIS_URL"] else { return RedisConfiguration() }
            var configuration = try RedisConfiguration(url: url)
            // A Sentinel's own credentials (if it has any) are not the data nodes': they come from
            // the environment, so that the URL stays the same for every topology.
            if configuration.sentinel != nil {
                configuration.sentinel?.username = environment["REDIS_SENTINEL_USERNAME"].flatMap { $0.isEmpty ? nil : $0 }
                configuration.sentinel?.password = environment["REDIS_SENTINEL_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
            }
            return configuration
        } catch let error as RedisError {
            throw ValidationError(error.message)
        }
    }
}
