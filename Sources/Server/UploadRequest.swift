import ContentQueue
import Foundation
import HTTPTypes

/// The body of `POST /api/content/upload`, validated field by field.
struct UploadRequest {
    static let fields: Set<String> = ["title", "description", "durationSeconds", "videoUrl"]
    static let maxTitle = 200
    static let maxDescription = 2000
    static let maxDurationSeconds = 86_400.0
    static let maxURLLength = 2048

    let draft: ContentDraft

    init(_ object: [String: JSONValue]) throws {
        try FieldRules.rejectUnknown(object, allowed: Self.fields)
        guard let titleValue = object["title"] else {
            throw APIError.invalidField("title", "is required")
        }
        let title = try FieldRules.string(titleValue, field: "title").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty, title.count <= Self.maxTitle else {
            throw APIError.invalidField("title", "must be 1-\(Self.maxTitle) characters after trimming")
        }
        try FieldRules.rejectControlCharacters(title, field: "title", allowingNewlines: false)

        var description = ""
        if let value = object["description"], value != .null {
            description = try FieldRules.string(value, field: "description")
            guard description.count <= Self.maxDescription else {
                throw APIError.invalidField("description", "must be at most \(Self.maxDescription) characters")
            }
            try FieldRules.rejectControlCharacters(description, field: "description", allowingNewlines: true)
        }

        var duration: Double?
        if let value = object["durationSeconds"], value != .null {
            guard case .number(let number) = value else {
                throw APIError.invalidField("durationSeconds", "must be a number, not \(value.typeName)")
            }
            guard number.isFinite, number >= 0, number <= Self.maxDurationSeconds else {
                throw APIError.invalidField("durationSeconds", "must be between 0 and \(Int(Self.maxDurationSeconds))")
            }
            duration = number
        }

        var videoURL: String?
        if let value = object["videoUrl"], value != .null {
            let text = try FieldRules.string(value, field: "videoUrl")
            guard text.utf8.count <= Self.maxURLLength, !text.contains(where: { $0.isWhitespace }),
                let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                let host = url.host, !host.isEmpty
            else {
                throw APIError.invalidField("videoUrl", "must be an http(s) URL of at most \(Self.maxURLLength) bytes")
            }
            try FieldRules.rejectControlCharacters(text, field: "videoUrl", allowingNewlines: false)
            videoURL = text
        }
        self.draft = ContentDraft(title: title, description: description, durationSeconds: duration, videoUrl: videoURL)
    }
}

/// The body of `POST /api/content/{id}/reject`: empty, or `{"reason": "..."}`.
struct RejectRequest {
    static let maxReason = 500
    let reason: String?

    init(_ object: [String: JSONValue]) throws {
        try FieldRules.rejectUnknown(object, allowed: ["reason"])
        guard let value = object["reason"], value != .null else {
            reason = nil
            return
        }
        let text = try FieldRules.string(value, field: "reason").trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count <= Self.maxReason else {
            throw APIError.invalidField("reason", "must be at most \(Self.maxReason) characters")
        }
        try FieldRules.rejectControlCharacters(text, field: "reason", allowingNewlines: true)
        reason = text.isEmpty ? nil : text
    }
}

enum FieldRules {
    static func rejectUnknown(_ object: [String: JSONValue], allowed: Set<String>) throws {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            let printable = String(unknown.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(64).map(Character.init))
            throw APIError(.badRequest, code: "unknown_field", message: "\(printable): is not a field of this request", field: printable)
        }
    }

    static func string(_ value: JSONValue, field: String) throws -> String {
        guard case .string(let text) = value else {
            throw APIError.invalidField(field, "must be a string, not \(value.typeName)")
        }
        return text
    }

    static func rejectControlCharacters(_ text: String, field: String, allowingNewlines: Bool) throws {
        for scalar in text.unicodeScalars where scalar.properties.generalCategory == .control {
            if allowingNewlines, scalar == "\n" || scalar == "\r" || scalar == "\t" { continue }
            throw APIError.invalidField(field, "must not contain control characters")
        }
    }
}
