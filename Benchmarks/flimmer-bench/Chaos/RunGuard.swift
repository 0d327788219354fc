import Foundation
import Glibc
import Synchronization

/// The signal a handler caught; read by `RunGuard`'s thread (a handler may do little more than store it).
private let caughtSignal = Atomic<Int32>(0)

/// Ends a chaos run at once on SIGINT or SIGTERM, or when it outlives its time budget, after
/// stopping the processes it started itself (scripts/chaos stops the rest, by their pidfiles).
enum RunGuard {
    static func install(budget: Duration, log: ChaosLog, children: ChildProcesses) {
        // scripts/chaos starts this in the background, which leaves SIGINT ignored: take it back,
        // so that Ctrl-C ends the run at once.
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { caughtSignal.store($0, ordering: .relaxed) }
        }
        let deadline = ContinuousClock.now + budget
        let thread = Thread {
            // The one thread that takes them: the concurrency pool's threads block both (and this
            // thread inherited their mask), so without this the signals would wait forever.
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGINT)
            sigaddset(&signals, SIGTERM)
            pthread_sigmask(SIG_UNBLOCK, &signals, nil)
            while true {
                let caught = caughtSignal.load(ordering: .relaxed)
                if caught != 0 {
                    log.say("interrupted by signal \(caught)")
                    children.stopAll()
                    exit(128 + caught)
                }
                if ContinuousClock.now >= deadline {
                    log.say("watchdog: still running after \(Int(ChaosLog.seconds(budget))) s; giving up")
                    children.stopAll()
                    exit(3)
                }
                usleep(50_000)
            }
        }
        thread.start()
    }
}
