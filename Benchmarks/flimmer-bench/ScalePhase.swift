/// One publishing phase of the scale run: the small families, or the broadcast family.
struct ScalePhase: Codable, Sendable {
    var name: String
    var events: Int
    var rate: Double
    var published = 0
    var publishError: String?
    var publishRateAchieved: Double?
    var expected = 0
    var delivered = 0
    var missing = 0
    /// Per delivery: kernel receive time − send time, in ms.
    var latencyP50: Double?
    var latencyP99: Double?
    var latencyMax: Double?
    /// Per event that reached every stream it was for: the last stream's receive time − send time, in ms.
    var eventsOnAllStreams = 0
    var allStreamsP50: Double?
    var allStreamsP99: Double?
    var allStreamsMax: Double?
    var seconds = 0.0
    /// utime + stime of all gateways over the phase.
    var gatewayCPUSeconds: Double?
    var cpuPerDeliveryMicroseconds: Double?
    /// The same without what the gateways spend at rest over as long (heartbeats and the like).
    var cpuPerDeliveryAboveIdleMicroseconds: Double?
    /// The Redis the gateways subscribe to, over the phase, per published event (phases of 100 events or more).
    var redisCPUPerEventMicroseconds: Double?
    /// The load processes' receiver threads, summed, as a share of one core over the phase.
    var receiversCPUShare: Double?

    func printBlock() {
        print("-- \(name): \(events) events at \(fmt(rate))/s; published \(published), achieved \(fmt(publishRateAchieved ?? .nan))/s")
        if let publishError { print("   publish error: \(publishError)") }
        print("   deliveries: \(delivered) of \(expected), missing \(missing)")
        print(
            "   latency, every delivery: p50 \(FanoutResult.ms(latencyP50)), p99 \(FanoutResult.ms(latencyP99)), max \(FanoutResult.ms(latencyMax))"
        )
        print(
            "   latency, all of an event's streams (\(eventsOnAllStreams) of \(events) events complete): p50 \(FanoutResult.ms(allStreamsP50)), p99 \(FanoutResult.ms(allStreamsP99)), max \(FanoutResult.ms(allStreamsMax))"
        )
        print(
            "   gateways' CPU over \(fmt(seconds)) s: \(gatewayCPUSeconds.map { fmt($0) + " s" } ?? "n/a"), \(fmt(cpuPerDeliveryMicroseconds ?? .nan)) µs per delivery (\(fmt(cpuPerDeliveryAboveIdleMicroseconds ?? .nan)) above the rest's); Redis \(fmt(redisCPUPerEventMicroseconds ?? .nan)) µs per event; load receivers \(FanoutResult.percent(receiversCPUShare)) of one core"
        )
    }
}
