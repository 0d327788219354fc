import Testing

@testable import flimmer_bench

/// How the chaos load retries a write: which answers, how often, how long apart.
@Suite("Chaos: write retries")
struct WriteRetryTests {
    @Test func onlyA503OrNoAnswerIsRetried() {
        #expect(WriteRetry.isRetried(nil))
        #expect(WriteRetry.isRetried(503))
        for status in [200, 201, 400, 404, 409, 422, 429, 500, 502] {
            #expect(!WriteRetry.isRetried(status), "\(status)")
        }
    }

    @Test func pausesDoubleUpToTheirLimitAndEndWithTheLastAttempt() {
        let retry = WriteRetry()
        let pauses = (1...8).map { retry.delay(after: $0) }
        #expect(
            pauses == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(2), .seconds(2), .seconds(2), nil]
        )
        #expect(retry.delay(after: 0) == nil)
        #expect(retry.patience == .milliseconds(9750), "outlasts a failover and the replica's return (about 3-5 s)")
        #expect(WriteRetry(attempts: 1).delay(after: 1) == nil, "one attempt: no retry")
    }

    @Test func theCodeOfAnErrorBodyIsItsErrorCode() {
        #expect(WriteRetry.errorCode(["error": ["code": "replication_timeout", "message": "…"]]) == "replication_timeout")
        #expect(WriteRetry.errorCode(["item": [:]]) == nil)
        #expect(WriteRetry.errorCode(nil) == nil)
    }
}
