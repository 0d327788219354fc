import ContentQueue
import FlimmerFormats
import Foundation
import Logging
import RedisClient
import Testing

/// Where the tests' Redis is. `scripts/test` starts a throwaway redis-server and exports
/// `FLIMMER_TEST_REDIS_URL`; without it every Redis test fails loudly instead of skipping.
public enum TestEnvironment {
    public struct MissingRedis: Error, CustomStringConvertible {
        public let description =
            "FLIMMER_TEST_REDIS_URL is not set: run the tests with scripts/test, which starts a throwaway redis-server"
    }

    /// Whether fixtures keep the folders of the processes they start, logs included
    /// (`FLIMMER_TEST_KEEP_FILES=1`): scripts/test sets it for the Sentinel and cluster suites,
    /// under a `TMPDIR` of its own that it removes at exit, and prints what the Sentinels and
    /// cluster nodes decided when one of those suites fails.
    public static let keepsFiles = ProcessInfo.processInfo.environment["FLIMMER_TEST_KEEP_FILES"] == "1"

    /// Removes a fixture's folder, unless ``keepsFiles``.
    static func removeFolder(_ path: String) {
        if !keepsFiles { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Writes the name of the running test into `folder`'s file `test`, when ``keepsFiles``, so
    /// that a kept folder says whose it was.
    static func labelFolder(_ folder: String) {
        guard keepsFiles, let test = Test.current else { return }
        _ = FileManager.default.createFile(atPath: folder + "/test", contents: Data("\(test.id)\n".utf8))
    }

    /// The HS256 secret of test servers.
    public static let jwtSecret = "test-secret-0123456789abcdef0123456789abcdef"

    public static func redisURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["FLIMMER_TEST_REDIS_URL"], !url.isEmpty else {
            throw MissingRedis()
        }
        return url
    }

    /// The gateway's restricted ACL user on the test Redis (`FLIMMER_TEST_GATEWAY_REDIS_URL`,
    /// set by scripts/test from redis/users.acl).
    public static func gatewayRedisConfiguration() throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: try gatewayRedisURL())
        configuration.commandTimeout = .seconds(3)
        return configuration
    }

    public static func gatewayRedisURL() throws -> String {
        try aclUserURL("FLIMMER_TEST_GATEWAY_REDIS_URL")
    }

    /// The read-only operator user of redis/users.acl on the test Redis, as a URL
    /// (`FLIMMER_TEST_OPERATOR_REDIS_URL`, set by scripts/test), for the tools meant to work with it.
    public static func operatorRedisURL() throws -> String {
        try aclUserURL("FLIMMER_TEST_OPERATOR_REDIS_URL")
    }

    private static func aclUserURL(_ variable: String) throws -> String {
        guard let url = ProcessInfo.processInfo.environment[variable], !url.isEmpty else {
            throw TestFailure("\(variable) is not set: run the tests with scripts/test, which loads redis/users.acl")
        }
        return url
    }

    public static func redisConfiguration() throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: try redisURL())
        configuration.commandTimeout = .seconds(3)
        return configuration
    }

    /// A family id no other test uses: each test gets its own key space.
    public static func uniqueFamily(_ prefix: String = "t") -> FamilyID {
        FamilyID("\(prefix)\(HexText.padded(UInt64.random(in: 0...UInt64.max)))")!
    }

    public static let logger: Logger = {
        var logger = Logger(label: "flimmer-test")
        logger.logLevel = ProcessInfo.processInfo.environment["FLIMMER_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }()
}
