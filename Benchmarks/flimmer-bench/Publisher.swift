import Foundation
import Synchronization

/// Publishes versions 1...events at a fixed rate on a thread of its own (open loop: the schedule
/// does not wait for deliveries), recording each event's send time just before its write.
final class Publisher: @unchecked Sendable {
    struct Outcome: Sendable {
        var published = 0
        var error: String?
        /// The latest any publish started after its scheduled time, in nanoseconds.
        var maxLateness: Int64 = 0
        var firstSend: Int64 = 0
        var lastSend: Int64 = 0

        /// Events per second between the first and the last send.
        var achievedRate: Double? {
            guard published > 1, lastSend > firstSend else { return nil }
            return Double(published - 1) / (Double(lastSend - firstSend) / 1e9)
        }
    }

    private let channel: any PublishChannel
    private let payload: @Sendable (Int) -> [UInt8]
    private let events: Int
    private let rate: Double
    private let sendTimes: SendTimes
    /// Version `v` is event `eventOffset + v` in `sendTimes` (a later phase of a scale run).
    private let eventOffset: Int
    private let finished = Atomic<Bool>(false)
    /// Written by the publisher thread, read after `finished`.
    private var outcome = Outcome()

    init(
        channel: any PublishChannel,
        events: Int,
        rate: Double,
        sendTimes: SendTimes,
        eventOffset: Int = 0,
        payload: @escaping @Sendable (Int) -> [UInt8]
    ) {
        self.eventOffset = eventOffset
        self.channel = channel
        self.events = events
        self.rate = rate
        self.sendTimes = sendTimes
        self.payload = payload
    }

    func start() {
        Thread { [self] in
            ThreadName.set("fanout-publish")
            run()
        }.start()
    }

    /// Waits until every event was published (or publishing failed).
    func wait() async -> Outcome {
        while !finished.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(5)) }
        return outcome
    }

    private func run() {
        // Payloads are built ahead so that the timed section is only the clock read and the write.
        let payloads = (1...events).map(payload)
        let interval = 1e9 / rate
        let origin = Realtime.monotonic() + 10_000_000
        for version in 1...events {
            let scheduled = origin + Int64(Double(version - 1) * interval)
            Realtime.sleep(untilMonotonic: scheduled)
            outcome.maxLateness = Swift.max(outcome.maxLateness, Realtime.monotonic() - scheduled)
            let sent = Realtime.now()
            sendTimes[eventOffset + version] = sent
            do {
                try channel.publish(payloads[version - 1])
            } catch {
                outcome.error = "publish \(version): \(error)"
                break
            }
            if version == 1 { outcome.firstSend = sent }
            outcome.lastSend = sent
            outcome.published = version
        }
        finished.store(true, ordering: .releasing)
    }
}
