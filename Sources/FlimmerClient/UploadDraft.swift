/// What a child sends for approval (`POST /api/content/upload`).
public struct UploadDraft: Sendable, Hashable, Encodable {
    /// 1-200 characters, not all blank.
    public var title: String
    /// Up to 2,000 characters.
    public var description: String?
    /// 0-86,400.
    public var durationSeconds: Int?
    /// An http(s) URL, up to 2,048 bytes.
    public var videoUrl: String?

    public init(title: String, description: String? = nil, durationSeconds: Int? = nil, videoUrl: String? = nil) {
        self.title = title
        self.description = description
        self.durationSeconds = durationSeconds
        self.videoUrl = videoUrl
    }
}
