import Testing

@testable import flimmer_bench

/// What the chaos run reads from the gateways' answers: ETags and Prometheus counters.
@Suite("Chaos: gateway reads")
struct GatewayReadsTests {
    @Test func anETagLosesItsQuotesAndWeakMark() {
        #expect(GatewayReads.unquoted("\"00000000000000e1-9d1e0b6a2c4f7e31-7\"") == "00000000000000e1-9d1e0b6a2c4f7e31-7")
        #expect(GatewayReads.unquoted(" W/\"e-7\" ") == "e-7")
        #expect(GatewayReads.unquoted("e-7") == nil)
        #expect(GatewayReads.unquoted("\"") == nil)
    }

    @Test func aCounterIsReadByItsNameWithoutLabels() {
        let text = """
            # HELP flimmer_redis_master_changes_total Changes.
            # TYPE flimmer_redis_master_changes_total counter
            flimmer_redis_master_changes_total_other 9
            flimmer_redis_master_changes_total 2
            """
        #expect(GatewayReads.counter("flimmer_redis_master_changes_total", in: text) == 2)
        #expect(GatewayReads.counter("flimmer_missing", in: text) == nil)
    }
}
