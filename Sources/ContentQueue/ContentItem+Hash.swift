extension ContentItem {
    /// The HSET field/value arguments that store this item.
    var hashFields: [String] {
        var fields = [
            "id", id, "family", family, "childId", childId, "title", title,
            "description", description, "status", status.rawValue, "createdAt", createdAt,
        ]
        if let durationSeconds { fields += ["durationSeconds", Self.format(durationSeconds)] }
        if let videoUrl { fields += ["videoUrl", videoUrl] }
        if let decidedAt { fields += ["decidedAt", decidedAt] }
        if let decidedBy { fields += ["decidedBy", decidedBy] }
        if let rejectReason { fields += ["rejectReason", rejectReason] }
        return fields
    }

    /// Rebuilds an item from HGETALL's fields; `nil` when required fields are missing or malformed.
    init?(hash: [String: String]) {
        guard let id = hash["id"], let family = hash["family"], let childId = hash["childId"],
            let title = hash["title"], let statusText = hash["status"],
            let status = ContentStatus(rawValue: statusText), let createdAt = hash["createdAt"]
        else { return nil }
        self.init(
            id: id,
            family: family,
            childId: childId,
            title: title,
            description: hash["description"] ?? "",
            durationSeconds: hash["durationSeconds"].flatMap(Double.init),
            videoUrl: hash["videoUrl"],
            status: status,
            createdAt: createdAt,
            decidedAt: hash["decidedAt"],
            decidedBy: hash["decidedBy"],
            rejectReason: hash["rejectReason"]
        )
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
