import Logging
import NIOConcurrencyHelpers

/// A reconnecting client of a `text/event-stream` endpoint such as the gateway's `GET /api/events`.
///
/// Iterating it opens a connection (each iteration its own) and yields events and connection
/// changes. After a drop it reconnects with `Last-Event-ID`, waiting the server's `retry:` time,
/// doubled per failed attempt with jitter and capped. A connection silent for longer than
/// `configuration.idleTimeout` is dropped and replaced. The sequence ends only when the
/// consumer stops or the server refuses the stream for good (an `EventStreamError` with code `.rejected`).
/// The connection is read only as fast as the elements are taken (see `AsyncIterator`);
/// `configuration.observer` sees comments, id changes and why each connection ended.
///
/// ```swift
/// for try await element in EventStream(url: "https://sync.example/api/events", token: token) {
///     if case .event(let event) = element { print(event.type, event.data) }
/// }
/// ```
public final class EventStream: AsyncSequence, Sendable {
    /// Events and connection changes.
    public typealias Element = EventStreamElement

    /// The stream's URL (query parameters such as `?keys=` included).
    public let url: String
    private let token: @Sendable () async throws -> String
    /// Reconnect and idle settings.
    public let configuration: EventStreamConfiguration
    private let logger: Logger
    private let transport: any HTTPTransport

    /// A stream of `url`, authorized with `token` as a bearer token, over `transport`
    /// (by default AsyncHTTPClient's process-wide shared client).
    ///
    /// The gateway ends a stream when its token expires; with a fixed token the reconnect is
    /// then refused and the sequence ends. Apps that refresh tokens use `tokenProvider:`.
    public convenience init(
        url: String,
        token: String,
        configuration: EventStreamConfiguration = .init(),
        transport: any HTTPTransport = AsyncHTTPClientTransport(),
        logger: Logger = Logger(label: "flimmer.client.events")
    ) {
        self.init(url: url, tokenProvider: { token }, configuration: configuration, transport: transport, logger: logger)
    }

    /// A stream of `url` that asks `tokenProvider` for the bearer token before every connection
    /// attempt, so that a reconnect after the gateway ended a stream at its token's expiry
    /// carries a fresh one. An error thrown by the provider ends the sequence with that error.
    public init(
        url: String,
        tokenProvider: @escaping @Sendable () async throws -> String,
        configuration: EventStreamConfiguration = .init(),
        transport: any HTTPTransport = AsyncHTTPClientTransport(),
        logger: Logger = Logger(label: "flimmer.client.events")
    ) {
        self.url = url
        self.token = tokenProvider
        self.configuration = configuration
        self.transport = transport
        self.logger = logger
    }

    /// Opens the connection; it closes when the iterator is dropped or its task cancelled.
    public func makeAsyncIterator() -> AsyncIterator {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: EventStreamElement.self)
        let output = ElementDemand(continuation)
        let task = Task { await self.run(output) }
        continuation.onTermination = { _ in task.cancel() }
        return AsyncIterator(base: stream.makeAsyncIterator(), demand: output)
    }

    // The parser outlives connections (it keeps the last id and the retry time); the
    // watchdog reads the time of the last byte while the reader writes it.
    private struct Shared {
        var parser: EventStreamParser
        var lastActivity: ContinuousClock.Instant
        // Whether the current attempt got a 200 event stream (which resets the backoff).
        var opened = false
        // The reader waits for the consumer: not silence of the server's (the watchdog pauses).
        var awaitingConsumer = false
    }

    private func run(_ output: ElementDemand) async {
        let shared = NIOLockedValueBox(
            Shared(parser: EventStreamParser(lastEventID: configuration.lastEventID ?? ""), lastActivity: .now)
        )
        var failedAttempts = 0
        output.yield(.state(.connecting))
        while !Task.isCancelled {
            let token: String
            do {
                token = try await self.token()
            } catch {
                if Task.isCancelled { break }
                logger.warning("no token for the event stream, not reconnecting", metadata: ["error": "\(error)"])
                output.finish(throwing: error)
                return
            }
            do {
                try await connectOnce(token: token, shared: shared, output: output)
                logger.debug("event stream ended by the server")
                configuration.observer?(.connectionEnded(nil))
            } catch let error as EventStreamError where error.isFatal {
                logger.warning("event stream refused, not reconnecting", metadata: ["error": "\(error)"])
                configuration.observer?(.connectionEnded(error))
                output.finish(throwing: error)
                return
            } catch {
                if Task.isCancelled { break }
                logger.debug("event stream dropped", metadata: ["error": "\(error)"])
                configuration.observer?(.connectionEnded(error))
            }
            let (retry, opened) = shared.withLockedValue { ($0.parser.retryMilliseconds, $0.opened) }
            if opened { failedAttempts = 0 }
            let backoff = ReconnectBackoff(base: retry.map { .milliseconds($0) } ?? configuration.defaultRetry, cap: configuration.maximumRetry)
            let delay = backoff.delay(attempt: failedAttempts)
            failedAttempts += 1
            output.yield(.state(.reconnecting(after: delay)))
            do { try await Task.sleep(for: delay) } catch { break }
            shared.withLockedValue { $0.parser.reset() }
        }
        output.finish()
    }

    private func connectOnce(
        token: String,
        shared: NIOLockedValueBox<Shared>,
        output: ElementDemand
    ) async throws {
        var request = HTTPTransportRequest(
            url: url,
            headers: [("Authorization", "Bearer \(token)"), ("Accept", "text/event-stream"), ("Cache-Control", "no-cache")],
            timeout: nil
        )
        let lastEventID = shared.withLockedValue { shared in
            shared.lastActivity = .now
            shared.opened = false
            return shared.parser.lastEventID
        }
        if !lastEventID.isEmpty { request.headers.append(("Last-Event-ID", lastEventID)) }

        let (idleTimeout, observer) = (configuration.idleTimeout, configuration.observer)
        let (transport, prepared) = (self.transport, request)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let response = try await transport.send(prepared)
                let status = response.status
                let contentType = response.header("Content-Type")
                guard status == 200, contentType?.lowercased().hasPrefix("text/event-stream") == true else {
                    // The gateway explains a refusal in its JSON error body; a proxy's page is not kept.
                    let body = try? await response.body.collect(upTo: 16 * 1024)
                    let serverError = body.flatMap { ServerError(body: $0) }
                    // The standard fails the connection for good on anything but a 200 event
                    // stream; we keep retrying what may pass (overload, restarts) and stop on the rest.
                    let retryable = !(status == 204 || (400..<500).contains(status) && status != 408 && status != 429)
                    throw EventStreamError(
                        retryable ? .unexpectedResponse : .rejected,
                        status: status,
                        contentType: contentType,
                        serverError: serverError
                    )
                }
                shared.withLockedValue { shared in
                    shared.lastActivity = .now
                    shared.opened = true
                }
                output.yield(.state(.open(resumedFrom: lastEventID.isEmpty ? nil : lastEventID)))
                for try await chunk in response.body {
                    let (items, previousID, lastID) = shared.withLockedValue { shared in
                        shared.lastActivity = .now
                        let previous = shared.parser.lastEventID
                        return (shared.parser.items(chunk), previous, shared.parser.lastEventID)
                    }
                    // Outside the lock: the observer is the app's code.
                    if let observer {
                        for observation in EventStreamObservation.of(items, previousID: previousID, lastID: lastID) { observer(observation) }
                    }
                    let events = items.compactMap(\.event)
                    guard !events.isEmpty else { continue }
                    // The last read's events must be taken before these are handed over: the
                    // consumer works on one read while the next is read, and no further.
                    shared.withLockedValue { $0.awaitingConsumer = true }
                    await output.waitUntilTaken()
                    shared.withLockedValue { shared in
                        shared.awaitingConsumer = false
                        shared.lastActivity = .now
                    }
                    for event in events { output.yield(.event(event)) }
                }
            }
            // Covers the wait for the response head too: a server that accepts the connection
            // and then says nothing is as dead as one that goes silent later.
            group.addTask {
                while true {
                    let (deadline, waiting) = shared.withLockedValue { ($0.lastActivity + idleTimeout, $0.awaitingConsumer) }
                    if waiting {
                        try await Task.sleep(for: idleTimeout / 4)
                        continue
                    }
                    if ContinuousClock.now >= deadline { throw EventStreamError(.idleTimeout) }
                    try await Task.sleep(until: deadline, clock: .continuous)
                }
            }
            // The first to finish decides: the body's end (the server closed) or a throw (the
            // watchdog's, a refusal, a network error); the other is cancelled, closing the connection.
            try await group.next()
            group.cancelAll()
        }
    }
}
