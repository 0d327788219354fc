import ArgumentParser
import ContentQueue
import Dispatch
import FlimmerLogging
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `flimmer-sync watch`: a live tail of invalidations, one timestamped line per event.
///
/// Two sources: the gateway's own event stream (`--token`, as a client sees it, reconnecting with
/// Last-Event-ID), or Redis directly (`--redis-url … --family F`, as every gateway sees it,
/// PSUBSCRIBE `invalidate:*`, filtered to one family).
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print invalidations as they happen, one timestamped line each, until Ctrl-C.",
        discussion: """
            With a token (--token-file, env FLIMMER_TOKEN, or --token), follows GET /api/events of the gateway \
            at --url (reconnecting with Last-Event-ID when the stream drops). Otherwise subscribes to Redis \
            (--redis-url, env REDIS_URL) on invalidate:* and shows --family's messages; Redis's read-only \
            operator user is enough.
            """
    )

    @Option(
        help: "A parent or child bearer token: follow the gateway's event stream of its family. `ps` shows it: prefer --token-file or FLIMMER_TOKEN."
    )
    var token: String?

    @Option(name: .customLong("token-file"), help: "Read the bearer token from this file (trailing line ends ignored), again at every reconnect.")
    var tokenFile: String?

    @Option(help: "The gateway, with --token. Default http://127.0.0.1:8080.")
    var url: String = "http://127.0.0.1:8080"

    @Option(
        name: .customLong("redis-url"),
        help: "redis://[[user]:password@]host[:port][/db] (env REDIS_URL), without --token. Default redis://127.0.0.1:6379/0."
    )
    var redisURL: String?

    @Option(help: "Family id to show, with Redis (required there; with --token the token's family is shown).")
    var family: String?

    func validate() throws {
        if token != nil, tokenFile != nil { throw ValidationError("give either --token or --token-file, not both") }
        let followsGateway = tokenSource != nil
        if followsGateway, redisURL != nil { throw ValidationError("give either a token (the gateway's stream) or --redis-url (Redis), not both") }
        if !followsGateway, family == nil {
            throw ValidationError("--family is required when watching Redis (or give a token to follow the gateway)")
        }
        if let family, FamilyID(family) == nil { throw ValidationError("--family must be 1-64 of A-Z a-z 0-9 _ -") }
        if followsGateway, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("--url must start with http:// or https://")
        }
    }

    func run() async throws {
        let interrupt = Self.exitOnInterrupt()
        defer { interrupt.cancel() }
        switch tokenSource {
        case .file(let path)?:
            // Read again for every connection: a token refreshed in the file is used at the
            // next reconnect (the gateway ends a stream when its token expires).
            _ = try Self.readToken(file: path)
            try await followStream { try Self.readToken(file: path) }
        case .value(let token)?:
            try await followStream { token }
        case nil:
            try watchRedis(configuration: try RedisURLOption.configuration(flag: redisURL), family: family!)
        }
    }

    private enum TokenSource {
        case value(String)
        case file(String)
    }

    /// Where the gateway token comes from: --token, --token-file, or FLIMMER_TOKEN when neither
    /// Redis flag is given; nil means watching Redis.
    private var tokenSource: TokenSource? {
        if let token { return .value(token) }
        if let tokenFile { return .file(tokenFile) }
        if redisURL == nil, family == nil, let token = Self.environmentToken { return .value(token) }
        return nil
    }

    /// FLIMMER_TOKEN, when set and not empty.
    static var environmentToken: String? {
        ProcessInfo.processInfo.environment["FLIMMER_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The token in `file`, without its trailing line ends.
    static func readToken(file: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("cannot read the token file \(file)")
        }
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        guard !text.isEmpty else { throw ValidationError("the token file \(file) is empty") }
        return text
    }

    /// Ctrl-C ends the tail with status 0: every line already went out unbuffered.
    static func exitOnInterrupt() -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { Glibc.exit(0) }
        source.resume()
        return source
    }

    /// Writes one line to standard output at once: a pipe (`watch … | grep`) would otherwise
    /// hold lines back in a buffer.
    static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// A note to the person watching (connects, drops), on standard error.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data("\(LogRecord.now())  \(text)\n".utf8))
    }
}
