import Testing

@testable import flimmer_bench

/// Whether lost acknowledged writes fit Redis's everysec window: a suffix of what the old Redis
/// ran, answered at most ~2 s before the kill.
@Suite("Chaos: lost writes explained")
struct LossExplanationTests {
    private static func write(_ sent: Double, _ answered: Double, kept: Bool) -> (ack: Ack, kept: Bool) {
        (Ack(family: "f", id: "\(sent)", status: "pending", version: 1, sent: sent, answered: answered, gateway: "A"), kept)
    }

    @Test func aSuffixLostJustBeforeTheKillFitsTheWindow() {
        let text = LossExplanation.explain(
            [Self.write(1, 1.1, kept: true), Self.write(4.2, 4.3, kept: false), Self.write(4.4, 4.5, kept: false)],
            killedAt: 5
        )
        #expect(text.hasPrefix("2 acknowledged writes lost, all answered in the last 0.70 s before the kill -9 at 5.00 s"))
    }

    @Test func aLossFollowedByAKeptWriteDoesNotFit() {
        // The second write was sent after the first one's answer and kept: the first was not in a lost suffix.
        let text = LossExplanation.explain([Self.write(4.0, 4.1, kept: false), Self.write(4.2, 4.3, kept: true)], killedAt: 5)
        #expect(text.contains("1 of them do NOT fit"))
    }

    @Test func aLossAnsweredLongBeforeTheKillDoesNotFit() {
        let text = LossExplanation.explain([Self.write(1.0, 1.1, kept: false)], killedAt: 5)
        #expect(text.contains("1 of them do NOT fit"))
    }

    @Test func aLossWithoutAKillIsSaidSo() {
        #expect(
            LossExplanation.explain([Self.write(1.0, 1.1, kept: false)], killedAt: nil)
                == "1 acknowledged writes lost although Redis was never killed"
        )
    }
}
