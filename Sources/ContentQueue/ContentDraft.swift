/// What a child sends for approval, already validated by the caller.
public struct ContentDraft: Sendable, Equatable {
    public var title: String
    public var description: String
    public var durationSeconds: Double?
    public var videoUrl: String?

    public init(title: String, description: String = "", durationSeconds: Double? = nil, videoUrl: String? = nil) {
        self.title = title
        self.description = description
        self.durationSeconds = durationSeconds
        self.videoUrl = videoUrl
    }
}
