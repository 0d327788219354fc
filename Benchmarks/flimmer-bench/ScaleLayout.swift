/// How the scale run lays out its streams, families and events. The coordinator and every
/// worker compute the same layout from the same values, so only these values travel.
///
/// Streams `0..<broadcastStreams` are one family (the broadcast case); the rest are families of
/// `familySize`, the last one possibly smaller. Stream `i` belongs to worker `i % workers`, so
/// every family has streams on every worker (and so on every gateway).
///
/// Phase 1 publishes `eventsPerFamily` events to each small family, interleaved: event `k`
/// (1-based) is version `(k − 1) / families + 1` of family `(k − 1) % families`. Phase 2
/// publishes `broadcastEvents` events to the broadcast family: events `familyEvents + 1…`.
struct ScaleLayout: Sendable, Codable, Equatable {
    var run: String
    var streams: Int
    var broadcastStreams: Int
    var familySize: Int
    var eventsPerFamily: Int
    var broadcastEvents: Int
    var workers: Int

    var regularStreams: Int { streams - broadcastStreams }
    /// Small families (phase 1).
    var families: Int { (regularStreams + familySize - 1) / familySize }
    /// Events of phase 1, numbered 1...familyEvents.
    var familyEvents: Int { families * eventsPerFamily }
    var lastEvent: Int { familyEvents + broadcastEvents }

    /// Why these values cannot make a run, or nil.
    var problem: String? {
        if streams < 1 || familySize < 1 || workers < 1 { return "streams, family size and workers must be positive" }
        if broadcastStreams < 0 || broadcastStreams > streams { return "broadcast streams must be between 0 and the streams" }
        if eventsPerFamily < 0 || broadcastEvents < 0 { return "event counts cannot be negative" }
        if regularStreams > 0 && eventsPerFamily == 0 { return "families of streams need events" }
        if broadcastStreams > 0 && broadcastEvents == 0 { return "a broadcast family needs events" }
        return nil
    }

    var broadcastFamily: String { "bench-\(run)-all" }

    /// The name of small family `index` (0-based).
    func familyName(_ index: Int) -> String { "bench-\(run)-\(index)" }

    func family(ofStream stream: Int) -> String {
        stream < broadcastStreams ? broadcastFamily : familyName((stream - broadcastStreams) / familySize)
    }

    /// Which events stream `stream`'s versions are.
    func events(ofStream stream: Int) -> StreamEvents {
        if stream < broadcastStreams { return StreamEvents(offset: familyEvents + 1, stride: 1, final: broadcastEvents) }
        return StreamEvents(offset: (stream - broadcastStreams) / familySize + 1, stride: families, final: eventsPerFamily)
    }

    /// The streams worker `worker` holds.
    func streams(ofWorker worker: Int) -> StrideTo<Int> { stride(from: worker, to: streams, by: workers) }

    /// Phase 1's event `event` (1...familyEvents): its family's index and its version there.
    func familyEvent(_ event: Int) -> (family: Int, version: Int) {
        ((event - 1) % families, (event - 1) / families + 1)
    }

    /// How many streams event `event` (1...lastEvent) should reach.
    func expectedStreams(_ event: Int) -> Int {
        guard event <= familyEvents else { return broadcastStreams }
        let family = familyEvent(event).family
        return Swift.min(familySize, regularStreams - family * familySize)
    }
}
