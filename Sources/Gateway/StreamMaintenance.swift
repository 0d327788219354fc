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
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await cancelWhenGracefulShutdown {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: hub.configuration.heartbeatInterval)
                        if Task.isCancelled { break }
                        hub.sendHeartbeats()
                    }
                }
            }
            group.addTask {
                // Checked four times per limit, so a stalled stream is closed within 1.25 times the limit.
                let interval = max(min(hub.configuration.maxWriteStall, hub.configuration.maxStreamLifetime) / 4, .milliseconds(10))
                await cancelWhenGracefulShutdown {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        if Task.isCancelled { break }
                        hub.closeStalledStreams()
                        hub.closeExpiredStreams()
                    }
                }
            }
            group.addTask {
                await cancelWhenGracefulShutdown {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: hub.configuration.recheckInterval)
                        if Task.isCancelled { break }
                        await recheck()
                    }
                }
            }
        }
        hub.closeAll(.shutdown)
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
