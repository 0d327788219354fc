import Foundation
import Logging

/// A stale-while-revalidate cache of typed queries, kept fresh by an `EventStream`.
///
/// A query's value is delivered from the cache at once and revalidated in the background with
/// `If-None-Match` (a 304 confirms it). One fetch per query is in flight at a time: concurrent
/// asks join it. `follow(_:)` refetches a query when an `invalidate` names its key, and every
/// query on `reset` or after a reconnect (events of other keys than the queue are not caught up).
public actor QueryCache {
    private enum Update: Sendable {
        case fresh([UInt8])
        case failed(any Error, [UInt8]?)
    }

    private struct Entry {
        var url: String
        var body: [UInt8]?
        var etag: String?
        var lastError: (any Error)?
        var inFlight: Task<Void, Never>?
        // An invalidation during a fetch: that fetch may have read the old state, so one more follows.
        var refetchAfterFlight = false
        var subscribers: [UInt64: @Sendable (Update) -> Void] = [:]
    }

    private let transport: any HTTPTransport
    private let headers: [(name: String, value: String)]
    private let tokenProvider: (@Sendable () async throws -> String)?
    private let requestTimeout: Duration
    private let maximumBodyBytes: Int
    private let logger: Logger
    private var entries: [String: Entry] = [:]
    private var nextSubscriberID: UInt64 = 0
    /// What went over the network so far.
    public private(set) var statistics = QueryCacheStatistics()

    /// A cache that sends `headers` (e.g. `Authorization: Bearer …`) with every fetch, and
    /// `Authorization: Bearer <token>` from `tokenProvider`, asked before each fetch, when one
    /// is given (an error it throws fails that fetch).
    public init(
        headers: [(name: String, value: String)] = [],
        tokenProvider: (@Sendable () async throws -> String)? = nil,
        transport: any HTTPTransport = AsyncHTTPClientTransport(),
        requestTimeout: Duration = .seconds(30),
        maximumBodyBytes: Int = 16 * 1024 * 1024,
        logger: Logger = Logger(label: "flimmer.client.cache")
    ) {
        self.headers = headers
        self.tokenProvider = tokenProvider
        self.transport = transport
        self.requestTimeout = requestTimeout
        self.maximumBodyBytes = maximumBodyBytes
        self.logger = logger
    }

    /// A cache whose fetches carry `Authorization: Bearer <token>`.
    public init(
        token: String,
        transport: any HTTPTransport = AsyncHTTPClientTransport(),
        logger: Logger = Logger(label: "flimmer.client.cache")
    ) {
        self.init(headers: [("Authorization", "Bearer \(token)")], transport: transport, logger: logger)
    }

    /// The query's value: the cached one at once (revalidated in the background), otherwise
    /// the result of a fetch (joined if one is already running).
    public func value<Value>(for query: Query<Value>) async throws -> Value {
        register(query)
        if let body = entries[query.key]?.body {
            revalidate(query.key)
            return try query.decode(body)
        }
        await revalidate(query.key)?.value
        if let body = entries[query.key]?.body { return try query.decode(body) }
        throw entries[query.key]?.lastError ?? QueryCacheError(.noValue, key: query.key)
    }

    /// The query's states from now on: `.cached` at once if a value is held, then `.fresh` or
    /// `.error` after each fetch (the one started now, and every later refetch). Ends when the
    /// consumer stops iterating.
    public func states<Value>(for query: Query<Value>) -> AsyncStream<QueryState<Value>> {
        register(query)
        let (stream, continuation) = AsyncStream.makeStream(of: QueryState<Value>.self)
        let id = nextSubscriberID
        nextSubscriberID += 1
        let decode = query.decode
        entries[query.key]?.subscribers[id] = { update in
            switch update {
            case .fresh(let body):
                do { continuation.yield(.fresh(try decode(body))) } catch { continuation.yield(.error(error, lastValue: nil)) }
            case .failed(let error, let body):
                continuation.yield(.error(error, lastValue: body.flatMap { try? decode($0) }))
            }
        }
        let key = query.key
        continuation.onTermination = { _ in Task { await self.unsubscribe(key: key, id: id) } }
        if let body = entries[query.key]?.body {
            do { continuation.yield(.cached(try decode(body))) } catch { continuation.yield(.error(error, lastValue: nil)) }
        }
        revalidate(query.key)
        return stream
    }

    /// Refetches the query named `key` (if known). During a fetch, one more follows it, since
    /// the running one may have read the state from before the change.
    public func invalidate(key: String) {
        guard entries[key] != nil else { return }
        if entries[key]?.inFlight != nil {
            entries[key]?.refetchAfterFlight = true
        } else {
            revalidate(key)
        }
    }

    /// Refetches every known query.
    public func invalidateAll() {
        for key in entries.keys { invalidate(key: key) }
    }

    /// Starts a revalidation of `key` unless one is running; returns the running fetch.
    /// Waiting on it waits for the value to be fresh (or failed).
    @discardableResult
    public func revalidate(_ key: String) -> Task<Void, Never>? {
        guard entries[key] != nil else { return nil }
        if let running = entries[key]?.inFlight { return running }
        // Runs on this actor, so it starts only after inFlight is set below.
        let task = Task { await self.fetchLoop(key) }
        entries[key]?.inFlight = task
        return task
    }

    /// Listens to `stream` and refetches as its events say, until the task is cancelled or the
    /// stream ends.
    public nonisolated func follow(_ stream: EventStream) -> Task<Void, Never> {
        Task {
            var wasOpen = false
            do {
                for try await element in stream {
                    switch element {
                    case .event(let event) where event.type == "invalidate":
                        if let key = Self.key(ofInvalidation: event.data) { await self.invalidate(key: key) }
                    case .event(let event) where event.type == "reset":
                        await self.invalidateAll()
                    case .state(.open):
                        // A reconnect may have missed events of keys that catch-up does not cover.
                        if wasOpen { await self.invalidateAll() }
                        wasOpen = true
                    default:
                        break
                    }
                }
            } catch {
                logger.warning("event stream ended; the cache no longer follows it", metadata: ["error": "\(error)"])
            }
        }
    }

    private struct InvalidationKey: Decodable {
        var key: String
    }

    private static func key(ofInvalidation data: String) -> String? {
        try? JSONDecoder().decode(InvalidationKey.self, from: Data(data.utf8)).key
    }

    private func register<Value>(_ query: Query<Value>) {
        if entries[query.key] == nil { entries[query.key] = Entry(url: query.url) }
    }

    private func unsubscribe(key: String, id: UInt64) {
        entries[key]?.subscribers[id] = nil
    }

    private func fetchLoop(_ key: String) async {
        repeat {
            entries[key]?.refetchAfterFlight = false
            await fetch(key)
        } while entries[key]?.refetchAfterFlight == true
        entries[key]?.inFlight = nil
    }

    private func fetch(_ key: String) async {
        guard let entry = entries[key] else { return }
        var request = HTTPTransportRequest(url: entry.url, headers: headers, timeout: requestTimeout)
        request.headers.append(("Accept", "application/json"))
        if entry.body != nil, let etag = entry.etag { request.headers.append(("If-None-Match", etag)) }
        statistics.requests += 1
        let update: Update
        do {
            if let tokenProvider {
                let authorization = "Bearer \(try await tokenProvider())"
                request.headers.removeAll { $0.name.caseInsensitiveEquals("Authorization") }
                request.headers.append(("Authorization", authorization))
            }
            let response = try await transport.send(request)
            let body = try await response.body.collect(upTo: maximumBodyBytes)
            switch response.status {
            case 304 where entries[key]?.body != nil:
                statistics.notModified += 1
                update = .fresh(entries[key]!.body!)
            case 200:
                statistics.updated += 1
                entries[key]?.body = body
                entries[key]?.etag = response.header("ETag")
                update = .fresh(body)
            default:
                throw QueryCacheError(
                    .unexpectedStatus,
                    key: key,
                    status: response.status,
                    serverError: ServerError(body: body)
                )
            }
            entries[key]?.lastError = nil
        } catch {
            statistics.failures += 1
            logger.debug("query fetch failed", metadata: ["key": "\(key)", "error": "\(error)"])
            entries[key]?.lastError = error
            update = .failed(error, entries[key]?.body)
        }
        for subscriber in (entries[key]?.subscribers ?? [:]).values { subscriber(update) }
    }
}
