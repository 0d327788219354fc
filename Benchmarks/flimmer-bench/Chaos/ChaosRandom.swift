import NIOConcurrencyHelpers

/// The run's random choices (families, gateways, waits), reproducible with `--seed`: SplitMix64,
/// shared by every task under a lock.
final class ChaosRandom: Sendable {
    /// A generator for the standard library's `random(in:using:)` that draws from the shared source.
    struct Generator: RandomNumberGenerator {
        let source: ChaosRandom
        mutating func next() -> UInt64 { source.next() }
    }

    private let state: NIOLockedValueBox<UInt64>

    init(seed: UInt64) {
        state = NIOLockedValueBox(seed)
    }

    func next() -> UInt64 {
        state.withLockedValue { state in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// An index below `count`.
    func index(below count: Int) -> Int {
        var generator = Generator(source: self)
        return Int.random(in: 0..<count, using: &generator)
    }

    /// A number in `range`.
    func uniform(_ range: ClosedRange<Double>) -> Double {
        var generator = Generator(source: self)
        return Double.random(in: range, using: &generator)
    }

    /// True with probability `probability`.
    func chance(_ probability: Double) -> Bool {
        uniform(0...1) < probability
    }
}
