import ContentQueue
import Logging
import ServiceLifecycle

/// Keeps open streams healthy: a heartbeat to every stream at each interval, a periodic
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
            group.addTask { await Self.every(configuration.heartbeatInterval) { hub.sendHeartbeats() } }
            group.addTask { await Self.every(sweepInterval) { hub.closeStalledAndExpiredStreams() } }
            group.addTask { await Self.every(configuration.recheckInterval) { await recheck() } }
        }
        hub.closeAll(.shutdown)
    }

    /// Runs `work` after each `interval` until graceful shutdown.
    private static func every(_ interval: Duration, _ work: @escaping @Sendable () async -> Void) async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                await work()
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
