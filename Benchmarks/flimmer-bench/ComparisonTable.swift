/// The side-by-side table of all targets of one invocation, each with its own result, and each target's ratios to nchan and redis.
struct ComparisonTable {
    let results: [FanoutResult]

    func print() {
        let header = [
            "target", "connects (failed)", "missing", "PSS/stream", "RSS/stream", "CPU/delivery", "p50", "p99", "max",
            "all-streams p50", "all-streams p99", "publish rate", "result",
        ]
        var rows = [header]
        for result in results {
            rows.append([
                result.target,
                "\(result.connected) (\(result.failedConnects + result.notConnected))",
                "\(result.missing)",
                Self.value(result.pssPerStreamKiB, " KiB"),
                Self.value(result.rssPerStreamKiB, " KiB"),
                Self.value(result.cpuPerDeliveryMicroseconds, " µs"),
                Self.value(result.latencyP50, " ms"),
                Self.value(result.latencyP99, " ms"),
                Self.value(result.latencyMax, " ms"),
                Self.value(result.allStreamsP50, " ms"),
                Self.value(result.allStreamsP99, " ms"),
                Self.value(result.publishRateAchieved, "/s"),
                result.failed ? "FAILED" + (result.isPeer ? " (peer)" : "") : "ok",
            ])
        }
        Self.printAligned(rows)
        for baseline in ["nchan", "pushpin", "redis"] {
            guard let base = results.first(where: { $0.target == baseline }), results.count > 1 else { continue }
            Swift.print("")
            var ratios = [["ratio to \(baseline)", "PSS/stream", "RSS/stream", "CPU/delivery", "p50", "p99", "all-streams p99"]]
            for result in results where result.target != baseline {
                ratios.append([
                    result.target,
                    Self.ratio(result.pssPerStreamKiB, base.pssPerStreamKiB),
                    Self.ratio(result.rssPerStreamKiB, base.rssPerStreamKiB),
                    Self.ratio(result.cpuPerDeliveryMicroseconds, base.cpuPerDeliveryMicroseconds),
                    Self.ratio(result.latencyP50, base.latencyP50),
                    Self.ratio(result.latencyP99, base.latencyP99),
                    Self.ratio(result.allStreamsP99, base.allStreamsP99),
                ])
            }
            Self.printAligned(ratios)
        }
    }

    private static func value(_ value: Double?, _ unit: String) -> String {
        value.map { fmt($0) + unit } ?? "n/a"
    }

    private static func ratio(_ value: Double?, _ base: Double?) -> String {
        guard let value, let base, base > 0 else { return "n/a" }
        return fmt(value / base) + "×"
    }

    /// Columns padded to their widest cell (counted in characters, so µ and × take one).
    private static func printAligned(_ rows: [[String]]) {
        guard let columns = rows.first?.count else { return }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { column, cell in
                column == 0 ? cell.padding(widths[column]) : String(repeating: " ", count: widths[column] - cell.count) + cell
            }
            Swift.print(cells.joined(separator: "  "))
        }
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String { self + String(repeating: " ", count: Swift.max(0, width - count)) }
}
