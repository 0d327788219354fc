/// Consecutive events a stream received from one generation: enough to tell, after a failover,
/// whether it heard of writes the new master lacks and whether it was told otherwise afterwards.
struct EventRun: Sendable, Equatable {
    /// The generation of the events' ids (`""`: ids without one).
    var generation: String
    /// The highest version among them.
    var maxVersion: Int
    var events = 1

    /// Adds an event whose id has `generation` and `version` to the last run of `runs`, or starts a run.
    static func append(generation: String, version: Int, to runs: inout [EventRun]) {
        if let last = runs.indices.last, runs[last].generation == generation {
            runs[last].maxVersion = max(runs[last].maxVersion, version)
            runs[last].events += 1
        } else {
            runs.append(EventRun(generation: generation, maxVersion: version))
        }
    }
}
