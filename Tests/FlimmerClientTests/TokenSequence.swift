/// A token provider for tests: hands out `tokens` in order (the last one again once they run
/// out) and counts how often it was asked.
actor TokenSequence {
    private let tokens: [String]
    private(set) var calls = 0

    init(_ tokens: [String]) {
        precondition(!tokens.isEmpty)
        self.tokens = tokens
    }

    func next() -> String {
        calls += 1
        return tokens[min(calls, tokens.count) - 1]
    }
}
