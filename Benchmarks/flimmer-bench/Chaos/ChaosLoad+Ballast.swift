import Foundation
import NIOConcurrencyHelpers

extension ChaosLoad {
    /// Uploads with the longest description the API takes (2,000 characters), `concurrency` at a
    /// time, each sent once (no retry, no record for the checks), until `end`: replication
    /// traffic enough to overflow what a frozen replica's socket buffers can hold, so that the
    /// master commits, and announces, writes that never reach a replica. Titles start with
    /// `ballast`, so the checks for uploads written twice leave them alone. Returns the answers
    /// by status and error code (`503 replication_timeout x120`).
    func ballast(until end: ContinuousClock.Instant, concurrency: Int = 64) async -> String {
        let answers = NIOLockedValueBox([String: Int]())
        let description = String(repeating: "ballast ", count: 250)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var number = 0
                    while ContinuousClock.now < end, !Task.isCancelled {
                        number += 1
                        let family = self.tokens.families[self.random.index(below: self.tokens.families.count)]
                        let body = ["title": "ballast \(worker)-\(number)", "description": description]
                        let bytes = try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
                        let (status, json, _) = await self.call(
                            self.random.index(below: self.gateways.count),
                            "/api/content/upload",
                            token: self.tokens.token(family, "child"),
                            key: UUID().uuidString,
                            body: bytes
                        )
                        let answer = WriteRetry.answer(status: status, body: json) ?? "no answer"
                        answers.withLockedValue { $0[answer, default: 0] += 1 }
                    }
                }
            }
        }
        let tally = answers.withLockedValue { $0 }
        guard !tally.isEmpty else { return "none sent" }
        return tally.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) x\($0.value)" }
            .joined(separator: ", ")
    }
}
