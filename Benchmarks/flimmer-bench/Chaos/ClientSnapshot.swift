import ContentQueue

/// What one chaos client has seen and counted, at one moment.
struct ClientSnapshot: Sendable, Equatable {
    var index: Int
    var family: String
    var role: String
    /// `A` or `B`: where it is, or was last.
    var gateway: String
    /// The last id it saw (`<epoch>-<generation>-<version>`); nil before the first.
    var seen: FamilyVersion?
    var events = 0
    /// `reset` events among `events`: the gateway told it that the state it had seen is gone.
    var resets = 0
    /// When (seconds since the start) it first saw an id of each generation (`""`: ids without one).
    var firstSeen: [String: Double] = [:]
    var opens = 0
    var openFailures = 0
    var stalls = 0
    var shutdownNotices = 0
    /// Ids that went back within one history (same epoch and generation).
    var regressions = 0
    var pausedSeconds = 0.0
    var lastError = ""
    /// Failed opens by cause (`503 redis_unavailable`, `network`…).
    var openFailureCauses: [String: Int] = [:]
    /// The events received, in order, as runs of one generation each.
    var runs: [EventRun] = []
    /// The first regressions, as `at 24.5 s on A: <tag> after <tag>`.
    var regressionNotes: [String] = []
}
