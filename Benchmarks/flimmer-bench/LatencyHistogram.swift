/// Latencies in nanoseconds, kept as counts in log-linear buckets instead of a sample array.
///
/// 19,000 streams × 1,000 events would be 19 million samples; the buckets keep memory flat
/// (64 KiB) at about 0.8% resolution: every power of two is split into 128 linear steps.
struct LatencyHistogram: Sendable, Codable {
    /// Linear steps per power of two; 128 steps bound the relative error of a bucket to 1/128.
    private static let subBits = 7
    private static let subCount = 1 << subBits
    /// Enough powers of two for 2^63 ns; values below `subCount` ns are kept exactly.
    private static let bucketCount = (64 - subBits + 1) * subCount

    private var counts = [UInt64](repeating: 0, count: bucketCount)
    private(set) var count: UInt64 = 0
    private(set) var maxValue: Int64 = 0
    /// Negative latencies (clock steps between send and receive); recorded as 0 and counted here.
    private(set) var negative: UInt64 = 0

    init() {}

    private enum CodingKeys: String, CodingKey { case buckets, count, max, negative }

    /// Only the buckets that counted something, as `[index, count]` pairs: the scale run's
    /// receivers send theirs to the coordinator, which merges them.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(counts.indices.filter { counts[$0] > 0 }.map { [UInt64($0), counts[$0]] }, forKey: .buckets)
        try container.encode(count, forKey: .count)
        try container.encode(maxValue, forKey: .max)
        try container.encode(negative, forKey: .negative)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        for pair in try container.decode([[UInt64]].self, forKey: .buckets) {
            guard pair.count == 2, pair[0] < UInt64(Self.bucketCount) else {
                throw DecodingError.dataCorruptedError(forKey: .buckets, in: container, debugDescription: "not an [index, count] pair")
            }
            counts[Int(pair[0])] = pair[1]
        }
        count = try container.decode(UInt64.self, forKey: .count)
        maxValue = try container.decode(Int64.self, forKey: .max)
        negative = try container.decode(UInt64.self, forKey: .negative)
    }

    mutating func record(_ nanoseconds: Int64) {
        var value = nanoseconds
        if value < 0 {
            negative += 1
            value = 0
        }
        counts[Self.index(of: UInt64(value))] += 1
        count += 1
        if value > maxValue { maxValue = value }
    }

    mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        count += other.count
        negative += other.negative
        maxValue = Swift.max(maxValue, other.maxValue)
    }

    /// ``percentile(_:)`` in milliseconds, as the results report it.
    func milliseconds(at p: Double) -> Double? { percentile(p).map { Double($0) / 1e6 } }

    /// The largest value recorded, in milliseconds; nil when nothing was.
    var maxMilliseconds: Double? { count > 0 ? Double(maxValue) / 1e6 : nil }

    /// The value at percentile `p` (0...100), in nanoseconds: the midpoint of its bucket, capped at the maximum seen.
    func percentile(_ p: Double) -> Int64? {
        guard count > 0 else { return nil }
        let rank = UInt64((p / 100 * Double(count)).rounded(.up))
        var seen: UInt64 = 0
        for (index, bucketCount) in counts.enumerated() where bucketCount > 0 {
            seen += bucketCount
            if seen >= Swift.max(rank, 1) { return Swift.min(Self.midpoint(of: index), maxValue) }
        }
        return maxValue
    }

    private static func index(of value: UInt64) -> Int {
        if value < UInt64(subCount) { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount
        let shift = exponent - subBits
        let sub = Int((value >> UInt64(shift)) & UInt64(subCount - 1))
        return (shift + 1) * subCount + sub
    }

    private static func midpoint(of index: Int) -> Int64 {
        if index < subCount { return Int64(index) }
        let shift = index / subCount - 1
        let sub = index % subCount
        let low = (UInt64(subCount) | UInt64(sub)) << UInt64(shift)
        let width = UInt64(1) << UInt64(shift)
        return Int64(low + width / 2)
    }
}
