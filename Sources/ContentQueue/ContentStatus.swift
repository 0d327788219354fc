/// Where an item stands in the approval flow.
public enum ContentStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case approved
    case rejected
}
