import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import RedisClient
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The gateway's one Redis subscription: PSUBSCRIBE `invalidate:*` on a dedicated thread,
/// every message handed to the ``EventHub``.
///
/// When the connection fails it reconnects with exponential backoff and jitter, subscribes
/// again, and then asks for a version re-check of every open family (``onResubscribe``),
/// since whatever was published while it was away is gone from pub/sub.
public final class InvalidationSubscriber: Service, Sendable {
    private struct State {
        var subscribed = false
        var stopping = false
        var subscriptions = 0
        var probesLost = 0
    }

    let redisConfiguration: RedisConfiguration
    let configuration: SubscriberConfiguration
    let hub: EventHub
    let logger: Logger
    let onResubscribe: @Sendable () async -> Void
    /// This process's probe channel: only this gateway subscribes to it.
    let probeChannel = "flimmer:probe:\(UInt64.random(in: 0...UInt64.max))"
    private let state = NIOLockedValueBox(State())

    /// - Parameter onResubscribe: run after every subscription but the first, to catch up streams.
    public init(
        redis: RedisConfiguration,
        configuration: SubscriberConfiguration = .init(),
        hub: EventHub,
        logger: Logger,
        onResubscribe: @escaping @Sendable () async -> Void
    ) {
        self.redisConfiguration = redis
        self.configuration = configuration
        self.hub = hub
        self.logger = logger
        self.onResubscribe = onResubscribe
    }

    /// Whether the subscription is up now.
    public var isSubscribed: Bool { state.withLockedValue { $0.subscribed } }

    /// How many times a subscription has been made (1 after the first).
    public var subscriptionCount: Int { state.withLockedValue { $0.subscriptions } }

    /// Probes that did not come back in time, each of which tore the subscription down.
    public var probesLost: Int { state.withLockedValue { $0.probesLost } }

    public func run() async throws {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        // The loop blocks a thread of its own, so both graceful shutdown and cancellation
        // (another service failed) must reach it through the flag it polls.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                _ = try? await thread.runIfActive { self.loop() }
            } onGracefulShutdown: {
                self.state.withLockedValue { $0.stopping = true }
            }
        } onCancel: {
            self.state.withLockedValue { $0.stopping = true }
        }
        try? await thread.shutdownGracefully()
    }

    private var isStopping: Bool { state.withLockedValue { $0.stopping } }

    private func loop() {
        var backoff = configuration.initialBackoff
        while !isStopping {
            do {
                let connection = try RedisConnection(configuration: redisConfiguration)
                defer { connection.close() }
                try subscribe(connection)
                backoff = configuration.initialBackoff
                try receive(connection)
            } catch {
                let wasSubscribed = state.withLockedValue { state -> Bool in
                    defer { state.subscribed = false }
                    return state.subscribed
                }
                if wasSubscribed {
                    logger.warning("lost the Redis subscription; reconnecting", metadata: ["error": "\(error)"])
                } else {
                    logger.debug("could not subscribe to Redis", metadata: ["error": "\(error)"])
                }
                sleepInterruptibly(jittered(backoff))
                backoff = min(backoff * 2, configuration.maxBackoff)
            }
        }
        state.withLockedValue { $0.subscribed = false }
    }

    private func subscribe(_ connection: RedisConnection) throws {
        try connection.write([RedisCommand("PSUBSCRIBE", configuration.pattern), RedisCommand("SUBSCRIBE", probeChannel)])
        var waited = Duration.zero
        var confirmations = 0
        while waited < redisConfiguration.commandTimeout {
            if isStopping { return }
            if let reply = try connection.readReply(timeout: configuration.pollInterval) {
                guard let parts = reply.array, let kind = parts.first?.string, kind == "psubscribe" || kind == "subscribe" else {
                    throw RedisError(.unexpectedReply, "PSUBSCRIBE answered \(reply)")
                }
                confirmations += 1
                guard confirmations == 2 else { continue }
                let count = state.withLockedValue { state -> Int in
                    state.subscribed = true
                    state.subscriptions += 1
                    return state.subscriptions
                }
                logger.info("subscribed to Redis", metadata: ["pattern": "\(configuration.pattern)", "redis": "\(redisConfiguration.redactedURL)"])
                if count > 1 {
                    hub.metrics.subscriberReconnects.increment()
                    let catchUp = onResubscribe
                    Task { await catchUp() }
                }
                return
            }
            waited += configuration.pollInterval
        }
        throw RedisError(.timeout, "PSUBSCRIBE was not confirmed in time")
    }

    /// Relays messages, and every ``SubscriberConfiguration/probeInterval`` publishes a probe
    /// on this gateway's probe channel: a subscription that looks connected but no longer
    /// delivers (a failover, a half-open TCP path) is noticed when its probe does not come back.
    private func receive(_ connection: RedisConnection) throws {
        var publisher: RedisConnection?
        defer { publisher?.close() }
        var nextProbe = ContinuousClock.now + configuration.probeInterval
        var outstanding: (token: String, sentAt: ContinuousClock.Instant)?
        while !isStopping {
            let now = ContinuousClock.now
            if let probe = outstanding, now - probe.sentAt > configuration.probeTimeout {
                state.withLockedValue { $0.probesLost += 1 }
                throw RedisError(.timeout, "the subscription probe did not come back within \(configuration.probeTimeout)")
            }
            if outstanding == nil, now >= nextProbe {
                let token = String(UInt64.random(in: 0...UInt64.max), radix: 36)
                do {
                    let connection = try publisher ?? RedisConnection(configuration: redisConfiguration)
                    publisher = connection
                    try connection.send(RedisCommand("PUBLISH", probeChannel, token)).throwingServerError()
                } catch {
                    // A probe that cannot even be sent has not come back either.
                    publisher?.close()
                    publisher = nil
                    state.withLockedValue { $0.probesLost += 1 }
                    throw error
                }
                outstanding = (token, now)
            }
            guard let reply = try connection.readReply(timeout: configuration.pollInterval), let parts = reply.array else { continue }
            if parts.count == 4, parts[0].string == "pmessage", let channel = parts[2].string, case .bulkString(let message) = parts[3] {
                hub.deliver(channel: channel, message: message)
            } else if parts.count == 3, parts[0].string == "message", parts[1].string == probeChannel {
                if parts[2].string == outstanding?.token {
                    outstanding = nil
                    nextProbe = ContinuousClock.now + configuration.probeInterval
                }
            } else {
                logger.debug("ignored a reply on the subscription", metadata: ["reply": "\(reply)"])
            }
        }
    }

    private func jittered(_ duration: Duration) -> Duration {
        // Full jitter: gateways that lost Redis together do not come back in lockstep.
        duration * Double.random(in: 0.5...1.0)
    }

    private func sleepInterruptibly(_ duration: Duration) {
        var remaining = duration
        let step = Duration.milliseconds(50)
        while remaining > .zero, !isStopping {
            let slice = min(step, remaining)
            let (seconds, attoseconds) = slice.components
            usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
            remaining -= slice
        }
    }
}
