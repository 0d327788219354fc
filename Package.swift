// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// Tests import less precisely than the library code; MemberImportVisibility would only add noise there.
let testSwiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "flimmer-sync",
    // FlimmerClient is for Flimmer's apps: iOS among them. The server targets build for macOS
    // and Linux; nothing stops an app from linking only FlimmerClient.
    platforms: [.macOS(.v14), .iOS(.v17), .tvOS(.v17)],
    products: [
        .executable(name: "flimmer-sync", targets: ["flimmer-sync"]),
        .library(name: "RedisClient", targets: ["RedisClient"]),
        .library(name: "ContentQueue", targets: ["ContentQueue"]),
        .library(name: "FlimmerClient", targets: ["FlimmerClient"]),
        .library(name: "FlimmerClientURLSession", targets: ["FlimmerClientURLSession"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The C shim over Debian's libhiredis-dev (headers in /usr/include/hiredis).
        // No pkgConfig: hiredis.pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM refuses with a warning.
        .systemLibrary(
            name: "CHiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // The small text formats every module writes: JSON string literals, zero-padded hex,
        // UTC ISO 8601 times. Depends on nothing.
        .target(name: "FlimmerFormats", swiftSettings: swiftSettings),
        // A safe Swift wrapper over hiredis. Knows nothing of HTTP.
        .target(
            name: "RedisClient",
            dependencies: [
                "CHiredis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The domain: content items, the Redis key layout and the MULTI/EXEC transactions.
        .target(
            name: "ContentQueue",
            dependencies: [
                "FlimmerFormats",
                "RedisClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // One Redis subscription per process, fan-out to streams, SSE framing. Knows no HTTP:
        // the server hands it streams ready to write to.
        .target(
            name: "Gateway",
            dependencies: [
                "RedisClient",
                "ContentQueue",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP routes, auth and application assembly.
        .target(
            name: "Server",
            dependencies: [
                "FlimmerFormats",
                "RedisClient",
                "ContentQueue",
                "Gateway",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The OpenAPI 3.1 document of the HTTP API, served at /openapi.json.
            resources: [.copy("Resources/openapi.json"), .copy("Resources/web")],
            swiftSettings: swiftSettings
        ),
        // What Flimmer's Swift apps link: an SSE client and a query cache it keeps fresh.
        // Knows nothing of the server's targets (FlimmerFormats is below every module); it speaks HTTP only.
        .target(
            name: "FlimmerClient",
            dependencies: [
                "FlimmerFormats",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // FlimmerClient's transport over URLSession, for apps that want the system's networking.
        // Its own library, so that the server's binary does not link FoundationNetworking (curl).
        .target(
            name: "FlimmerClientURLSession",
            dependencies: ["FlimmerClient"],
            swiftSettings: swiftSettings
        ),
        // Log lines as logfmt or JSON (`serve --log-format`): swift-log handlers, nothing else.
        .target(
            name: "FlimmerLogging",
            dependencies: [
                "FlimmerFormats",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command line: `serve`, `token`, `inspect` and `watch`.
        .executableTarget(
            name: "flimmer-sync",
            dependencies: [
                "Server",
                "Gateway",
                "RedisClient",
                "ContentQueue",
                "FlimmerClient",
                "FlimmerLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Shared by the test targets: the test Redis, a live server on port 0 or the router
        // in-process, families with their tokens, an SSE reader, the built flimmer-sync as a process.
        .target(
            name: "FlimmerTestSupport",
            dependencies: [
                "FlimmerClient",
                "FlimmerFormats",
                "Server",
                "Gateway",
                "ContentQueue",
                "RedisClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/FlimmerTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RedisClientTests",
            dependencies: ["RedisClient", "FlimmerTestSupport"],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "ContentQueueTests",
            dependencies: ["ContentQueue", "RedisClient", "FlimmerTestSupport"],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "ContentQueue", "FlimmerClient", "FlimmerTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: testSwiftSettings
        ),
        // The client library: its parser and backoff alone, its stream and cache against a live gateway.
        .testTarget(
            name: "FlimmerClientTests",
            dependencies: [
                "FlimmerClient",
                "FlimmerClientURLSession",
                "FlimmerTestSupport",
                "ContentQueue",
                "Server",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: testSwiftSettings
        ),
        // The command line: its commands parsed and run in-process, and the built binary as a
        // process where exit codes, output streams and signals are the point.
        .testTarget(
            name: "FlimmerSyncCLITests",
            dependencies: [
                "flimmer-sync",
                "FlimmerTestSupport",
                "ContentQueue",
                "RedisClient",
                "Server",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: testSwiftSettings
        ),
        // The fixtures that stand in for real server setups, tested against those servers:
        // SentinelGroup (a master, replicas and Sentinels) with the repository's HA configuration,
        // ClusterGroup (a Redis Cluster of masters and replicas) with its cluster configuration.
        .testTarget(
            name: "FlimmerTestSupportTests",
            dependencies: ["FlimmerTestSupport"],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "FlimmerFormatsTests",
            dependencies: ["FlimmerFormats"],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "FlimmerLoggingTests",
            dependencies: [
                "FlimmerLogging",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server",
                "Gateway",
                "ContentQueue",
                "RedisClient",
                "FlimmerTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: testSwiftSettings
        ),
    ]
)

// The load and fault tool (flimmer-bench: fanout, storm, uploads, chaos) and its tests, only when
// FLIMMER_BENCHMARKS is set (scripts/bench, scripts/chaos and scripts/test set it), as Hummingbird
// does with its benchmarks: an app that depends on this package for FlimmerClient never builds
// or sees them (they add no package dependency). The tool is Linux-only (epoll, /proc, Glibc).
if Context.environment["FLIMMER_BENCHMARKS"] != nil {
    package.products.append(.executable(name: "flimmer-bench", targets: ["flimmer-bench"]))
    package.products.append(.executable(name: "redis-leak-check", targets: ["redis-leak-check"]))
    package.targets += [
        // <sys/epoll.h> for flimmer-bench's receiver thread (Swift's Glibc module leaves it out).
        .systemLibrary(name: "CEpoll", path: "Benchmarks/CEpoll"),
        .executableTarget(
            name: "flimmer-bench",
            dependencies: [
                "CEpoll",
                "Server",
                "ContentQueue",
                "RedisClient",
                "FlimmerClient",
                "FlimmerFormats",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Benchmarks/flimmer-bench",
            swiftSettings: testSwiftSettings
        ),
        // Every allocating path of RedisClient, for LeakSanitizer (scripts/leak-check builds it
        // with --sanitize=address); depends on RedisClient alone, so that build stays small.
        .executableTarget(
            name: "redis-leak-check",
            dependencies: [
                "RedisClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Benchmarks/redis-leak-check",
            swiftSettings: testSwiftSettings
        ),
        // The load tool's parsing and receiver, the chaos run's checks, schedule, client and
        // child processes: against local sockets and processes, no gateway or Redis needed.
        .testTarget(
            name: "FlimmerBenchTests",
            dependencies: ["flimmer-bench", "FlimmerTestSupport"],
            path: "Benchmarks/FlimmerBenchTests",
            swiftSettings: testSwiftSettings
        ),
    ]
}
