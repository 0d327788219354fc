/// One fault of a chaos run: what it breaks, when, and how it is undone.
///
/// A fault is a value. Its `schedule` says when it strikes (a fraction of the load's duration)
/// and how long the damage lasts; `inject` breaks something and returns what `undo` needs to
/// repair it (a pid, a time). `FaultRunner` calls them in that order, each fault on a task of
/// its own, the whole schedule bounded in time; an error thrown by either is a problem of the
/// run, which then fails. Adding a fault is one file with a type conforming to this and one
/// line in `ChaosRun.faults`.
protocol Fault: Sendable {
    /// What `inject` leaves for `undo`.
    associatedtype Damage: Sendable

    /// When it strikes and how long the damage lasts.
    var schedule: FaultSchedule { get }

    /// The figure the report prints with how often `undo` succeeded (`redis restarts`); nil: none.
    var tally: String? { get }

    /// Breaks something; bounded in time (a process that will not die is killed, not waited for).
    func inject(_ context: FaultContext) async throws -> Damage

    /// Repairs what `inject` broke; bounded in time too.
    func undo(_ damage: Damage, _ context: FaultContext) async throws
}
