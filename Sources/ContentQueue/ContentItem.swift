/// One video sent for approval, as stored in `content:{F}:<id>` and returned by the API.
public struct ContentItem: Sendable, Equatable, Codable {
    public var id: String
    public var family: String
    public var childId: String
    public var title: String
    public var description: String
    public var durationSeconds: Double?
    public var videoUrl: String?
    public var status: ContentStatus
    /// ISO 8601, UTC, milliseconds.
    public var createdAt: String
    /// ISO 8601, UTC, milliseconds; `nil` while pending.
    public var decidedAt: String?
    /// The parent who decided; `nil` while pending.
    public var decidedBy: String?
    /// The parent's reason, when rejected with one.
    public var rejectReason: String?

    public init(
        id: String,
        family: String,
        childId: String,
        title: String,
        description: String,
        durationSeconds: Double? = nil,
        videoUrl: String? = nil,
        status: ContentStatus,
        createdAt: String,
        decidedAt: String? = nil,
        decidedBy: String? = nil,
        rejectReason: String? = nil
    ) {
        self.id = id
        self.family = family
        self.childId = childId
        self.title = title
        self.description = description
        self.durationSeconds = durationSeconds
        self.videoUrl = videoUrl
        self.status = status
        self.createdAt = createdAt
        self.decidedAt = decidedAt
        self.decidedBy = decidedBy
        self.rejectReason = rejectReason
    }

    // Optional fields are written as JSON null rather than left out, so clients see one shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(family, forKey: .family)
        try container.encode(childId, forKey: .childId)
        try container.encode(title, forKey: .title)
        try container.encode(description, forKey: .description)
        try container.encode(durationSeconds, forKey: .durationSeconds)
        try container.encode(videoUrl, forKey: .videoUrl)
        try container.encode(status, forKey: .status)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(decidedAt, forKey: .decidedAt)
        try container.encode(decidedBy, forKey: .decidedBy)
        try container.encode(rejectReason, forKey: .rejectReason)
    }
}
