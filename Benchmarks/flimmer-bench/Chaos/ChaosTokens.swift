import Foundation

/// One parent and one child token per family, from scripts/chaos's file of `family role token` lines.
struct ChaosTokens: Sendable {
    /// In the file's order.
    private(set) var families: [String] = []
    private var tokens: [String: String] = [:]

    init(file: String) throws {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try self.init(text: text, source: file)
    }

    init(text: String, source: String) throws {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 3 else { continue }
            let family = String(parts[0])
            tokens["\(family) \(parts[1])"] = String(parts[2])
            if !families.contains(family) { families.append(family) }
        }
        for family in families {
            for role in ["parent", "child"] where tokens["\(family) \(role)"] == nil {
                throw ChaosProblem("no \(role) token for family \(family) in \(source)")
            }
        }
        guard !families.isEmpty else { throw ChaosProblem("no tokens in \(source)") }
    }

    func token(_ family: String, _ role: String) -> String {
        tokens["\(family) \(role)"]!
    }
}
