import Glibc

/// The clocks the load tool measures with.
///
/// Latency is a kernel receive timestamp (SO_TIMESTAMPNS, CLOCK_REALTIME) minus a send time,
/// so send times must be CLOCK_REALTIME too; schedules use CLOCK_MONOTONIC so that a clock
/// step cannot bunch up or stall the publisher.
enum Realtime {
    /// CLOCK_REALTIME in nanoseconds since the epoch.
    static func now() -> Int64 { read(CLOCK_REALTIME) }

    /// CLOCK_MONOTONIC in nanoseconds.
    static func monotonic() -> Int64 { read(CLOCK_MONOTONIC) }

    /// Sleeps until CLOCK_MONOTONIC reaches `deadline` (absolute, so lateness does not accumulate).
    static func sleep(untilMonotonic deadline: Int64) {
        var target = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
    }

    /// CPU time of a thread or process clock (see `pthread_getcpuclockid`), in nanoseconds.
    static func cpu(_ clock: clockid_t) -> Int64 { read(clock) }

    /// CPU time of this whole process (all threads), in nanoseconds.
    static func processCPU() -> Int64 { read(CLOCK_PROCESS_CPUTIME_ID) }

    private static func read(_ clock: clockid_t) -> Int64 {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}

/// Milliseconds, for printing a nanosecond count.
func ms(_ nanoseconds: Int64?) -> String {
    guard let nanoseconds else { return "n/a" }
    return fmt(Double(nanoseconds) / 1e6)
}
