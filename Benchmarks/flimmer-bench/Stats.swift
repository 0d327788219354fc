/// Percentiles of a sample, in the unit the sample was recorded in.
struct Stats {
    private(set) var values: [Double] = []

    mutating func add(_ value: Double) { values.append(value) }
    mutating func add(contentsOf other: [Double]) { values += other }

    var count: Int { values.count }

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count - 1)).rounded())
        return sorted[Swift.min(Swift.max(rank, 0), sorted.count - 1)]
    }

    var max: Double { values.max() ?? .nan }

    func summary(unit: String = "ms") -> String {
        "p50 \(fmt(percentile(50))) \(unit), p90 \(fmt(percentile(90))) \(unit), p99 \(fmt(percentile(99))) \(unit), max \(fmt(max)) \(unit)"
    }
}

func fmt(_ value: Double) -> String {
    guard value.isFinite else { return "n/a" }
    let scaled = (value * 100).rounded() / 100
    return String(scaled)
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
