import ContentQueue

/// What one chaos client has seen and counted, at one moment.
struct ClientSnapshot: Sendable, Equatable {
    var index: Int
    var family: String
    var role: String
    /// `A` or `B`: where it is, or was last.
    var gateway: String
    /// The last `<epoch>-<version>` id it saw; nil before the first.
    var seen: FamilyVersion?
    var events = 0
    var opens = 0
    var openFailures = 0
    var stalls = 0
    var shutdownNotices = 0
    var regressions = 0
    var pausedSeconds = 0.0
    var lastError = ""
}
