import NIOConcurrencyHelpers

/// Runs a schedule of faults against a load: each fault on its own task, at its time, undone
/// after its downtime. Errors and overruns become problems in the ledger; nothing outlives `run`.
struct FaultRunner: Sendable {
    let faults: [any Fault]
    /// How long after the last planned undo the schedule may still run before it is abandoned.
    var grace: Duration = .seconds(60)

    /// Runs every fault; returns once all are done or the schedule ran `grace` past its planned end.
    func run(_ context: FaultContext, loadStart: ContinuousClock.Instant, load: Duration) async {
        let running = NIOLockedValueBox(Set(faults.indices))
        let end = faults.map { $0.schedule.plannedEnd(loadStart: loadStart, load: load) }.max() ?? loadStart
        let deadline = max(end, loadStart + load) + grace
        await withTaskGroup(of: Bool.self) { group in
            for (index, fault) in faults.enumerated() {
                group.addTask {
                    await Self.strike(fault, context, loadStart: loadStart, load: load)
                    running.withLockedValue { _ = $0.remove(index) }
                    return true
                }
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return false
            }
            while let finished = await group.next() {
                let left = running.withLockedValue { $0 }
                if finished, !left.isEmpty { continue }
                if !finished {
                    let names = left.sorted().map { Self.name(of: faults[$0]) }
                    context.ledger.problem("the fault schedule did not finish: \(names.joined(separator: ", ")) still running")
                }
                group.cancelAll()
                break
            }
        }
    }

    private static func strike<F: Fault>(_ fault: F, _ context: FaultContext, loadStart: ContinuousClock.Instant, load: Duration) async {
        do {
            try await Task.sleep(until: fault.schedule.strike(loadStart: loadStart, load: load), clock: .continuous)
        } catch {
            return
        }
        do {
            let damage = try await fault.inject(context)
            try await Task.sleep(for: fault.schedule.downtime)
            try await fault.undo(damage, context)
            if let tally = fault.tally { context.ledger.count(tally) }
        } catch is CancellationError {
            return
        } catch let problem as ChaosProblem {
            context.ledger.problem(problem.description)
        } catch {
            context.ledger.problem("\(name(of: fault)) failed: \(error)")
        }
    }

    /// The fault's type, for a problem line.
    static func name(of fault: any Fault) -> String {
        String(describing: type(of: fault))
    }
}
