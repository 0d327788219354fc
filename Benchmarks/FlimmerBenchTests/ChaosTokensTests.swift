import Testing

@testable import flimmer_bench

@Suite("Chaos: tokens file and error tally")
struct ChaosTokensTests {
    @Test func familiesKeepTheFilesOrderAndEachHasBothRoles() throws {
        let tokens = try ChaosTokens(text: "chaos-2 parent p2\nchaos-2 child c2\n\nchaos-1 parent p1\nchaos-1 child c1\n", source: "t")
        #expect(tokens.families == ["chaos-2", "chaos-1"])
        #expect(tokens.token("chaos-1", "child") == "c1")
    }

    @Test func aFamilyWithoutAChildTokenIsRefused() {
        #expect(throws: ChaosProblem.self) { try ChaosTokens(text: "chaos-1 parent p1\n", source: "t") }
        #expect(throws: ChaosProblem.self) { try ChaosTokens(text: "", source: "t") }
    }

    @Test func errorsAreSummedMostFrequentFirst() {
        let tally = ErrorTally()
        #expect(tally.summary == "none")
        for cause in ["conn", "503", "503", "429", "conn", "503"] { tally.add(cause) }
        #expect(tally.summary == "503 x3, conn x2, 429 x1")
    }
}
