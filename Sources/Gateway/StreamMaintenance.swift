import ContentQueue
import Logging
import ServiceLifecycle

/// Keeps open streams healthy: a heartbeat to every stream at each interval (in slices), a periodic
/// re-read of every open family's version from Redis as the safety net behind pub/sub, and
/// the closing of streams whose clients stopped reading.
/// On graceful shutdown it sends each stream a last comment and closes it.
public struct StreamMaintenance: Service {
    let hub: EventHub
    let store: ContentQueueStore
    let logger: Logger

    public init(hub: EventHub, store: ContentQueueStore, logger: Logger) {
        self.hub = hub
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        let configuration = hub.configuration
        // Checked four times per limit, so a stalled or expired stream is closed within 1.25 times it.
        let sweepInterval = max(min(configuration.maxWriteStall, configuration.maxStreamLifetime) / 4, .milliseconds(10))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await heartbeats(every: configuration.heartbeatInterval) }
            group.addTask { await Self.every(sweepInterval) { _ in hub.closeStalledAndExpiredStreams() } }
            group.addTask { await Self.every(configuration.recheckInterval) { _ in await recheck() } }
        }
        hub.closeAll(.shutdown)
    }

    /// Heartbeats in slices: each stream still gets one per interval, but a slice of the streams
    /// at a time, at most 16 slices and at least 1 s apart. All at once, 100,000 streams on six
    /// gateways made every loop write ~8,000 heartbeats in one go each interval, and events that
    /// came meanwhile waited: the all-streams p99 went from 19 ms to 412 ms (docs/benchmarks.md).
    private func heartbeats(every interval: Duration) async {
        let slices = Self.heartbeatSlices(for: interval)
        await Self.every(interval / slices) { tick in hub.sendHeartbeats(slice: tick % slices, of: slices) }
    }

    /// How many slices the heartbeats of `interval` go out in: one per second, 1...16.
    public static func heartbeatSlices(for interval: Duration) -> Int {
        max(1, min(16, Int(interval / .seconds(1))))
    }

    /// Runs `work` after each `interval` until graceful shutdown, with the count of earlier runs.
    private static func every(_ interval: Duration, _ work: @escaping @Sendable (Int) async -> Void) async {
        await cancelWhenGracefulShutdown {
            var tick = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                await work(tick)
                tick &+= 1
            }
        }
    }

    /// Re-reads the versions of every family with open streams and catches up the ones behind.
    public func recheck() async {
        let families = hub.openFamilies
        guard !families.isEmpty else { return }
        do {
            let versions = try await store.currentVersions(families: families)
            let behind = hub.reconcile(versions)
            if behind > 0 {
                logger.info("version re-check caught up families that pub/sub had not", metadata: ["families": "\(behind)"])
            }
        } catch {
            logger.warning("version re-check failed", metadata: ["error": "\(error)"])
        }
    }
}
