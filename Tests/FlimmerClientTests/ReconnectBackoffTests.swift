import FlimmerClient
import Testing

@Suite("ReconnectBackoff")
struct ReconnectBackoffTests {
    @Test func doublesFromTheBaseWithUpwardJitterAndCaps() {
        let backoff = ReconnectBackoff(base: .milliseconds(2000), cap: .seconds(30))
        for _ in 0..<200 {
            let first = backoff.delay(attempt: 0)
            #expect(first >= .milliseconds(2000) && first <= .milliseconds(3000))
            let third = backoff.delay(attempt: 2)
            #expect(third >= .milliseconds(8000) && third <= .milliseconds(12000))
            #expect(backoff.delay(attempt: 10) == .seconds(30))
            #expect(backoff.delay(attempt: 1000) == .seconds(30))
        }
    }

    @Test func jitterSpreads() {
        let backoff = ReconnectBackoff(base: .milliseconds(1000), cap: .seconds(30))
        let delays = Set((0..<50).map { _ in backoff.delay(attempt: 0) })
        #expect(delays.count > 10, "50 delays should not collapse onto a few values")
    }
}
