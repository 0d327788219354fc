import Testing

@testable import flimmer_bench

/// Each fanout target has its own result; only the gateway's decides the exit status.
@Suite("Fanout load tool: per-target results")
struct FanoutVerdictTests {
    private static func result(_ target: FanoutTarget.Kind, failures: [String] = []) -> FanoutResult {
        var result = FanoutResult(target: target.rawValue, streams: 10, events: 5, rate: 1, payloadBytes: 128)
        result.failures = failures
        return result
    }

    @Test func aPeerThatFailsIsReportedButDoesNotFailTheRun() {
        let nchan = Self.result(.nchan, failures: ["missing 1200"])
        #expect(nchan.verdict == "FAILED (missing 1200)")
        #expect(nchan.isPeer)
        #expect(!FanoutResult.runFailed([Self.result(.gateway), nchan, Self.result(.redis)]))
    }

    @Test func theGatewaysFailureFailsTheRun() {
        let gateway = Self.result(.gateway, failures: ["missing 3", "failed connects 2"])
        #expect(gateway.verdict == "FAILED (missing 3, failed connects 2)")
        #expect(!gateway.isPeer)
        #expect(FanoutResult.runFailed([gateway, Self.result(.nchan)]))
    }

    @Test func withoutTheGatewayAnyFailedTargetFailsTheRun() {
        #expect(FanoutResult.runFailed([Self.result(.nchan, failures: ["unanswered connects 4"])]))
        #expect(!FanoutResult.runFailed([Self.result(.nchan), Self.result(.redis)]))
    }
}
