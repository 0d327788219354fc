/// When a fault strikes and how long its damage lasts before it is undone.
struct FaultSchedule: Sendable, Equatable {
    /// The moment it strikes, as a fraction of the load's duration (0.25: a quarter into the load).
    var at: Double
    /// From the end of `inject` to the start of `undo`.
    var downtime: Duration

    /// When it strikes, for a load that starts at `loadStart` and lasts `load`.
    func strike(loadStart: ContinuousClock.Instant, load: Duration) -> ContinuousClock.Instant {
        loadStart + load * at
    }

    /// When its undo is due if `inject` takes no time: a bound for the whole schedule.
    func plannedEnd(loadStart: ContinuousClock.Instant, load: Duration) -> ContinuousClock.Instant {
        strike(loadStart: loadStart, load: load) + downtime
    }
}
