import Foundation

/// The run's clock and its printed lines; `say` prefixes the seconds since the start:
/// `chaos: [  5.1s] kill -9 redis-server (pid 4242)`.
struct ChaosLog: Sendable {
    let start: ContinuousClock.Instant

    init(start: ContinuousClock.Instant = .now) {
        self.start = start
    }

    /// Seconds from the start to `instant`.
    func elapsed(at instant: ContinuousClock.Instant = .now) -> Double {
        Self.seconds(instant - start)
    }

    /// A progress line with the time.
    func say(_ message: String) {
        line("[\(String(format: "%5.1f", elapsed()))s] \(message)")
    }

    /// A line with the `chaos: ` prefix only.
    func line(_ text: String) {
        write("chaos: \(text)")
    }

    /// A line as it is. Written at once (not through stdio's buffer): scripts/chaos pipes the
    /// output, and a run stopped by a signal or the watchdog must not lose what it printed.
    func write(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// `%g`-like: `8` for 8.0, `0.5` for 0.5.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
