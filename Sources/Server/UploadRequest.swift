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

    // Lengths count Unicode scalars, as JSON Schema's maxLength does, so that the OpenAPI
    // document and the server accept exactly the same bodies.
    init(_ object: [String: JSONValue]) throws {
        try FieldRules.rejectUnknown(object, allowed: Self.fields)
        guard let titleValue = object["title"] else {
            throw APIError.invalidField("title", "is required")
        }
        let rawTitle = try FieldRules.string(titleValue, field: "title")
        try FieldRules.rejectControlCharacters(rawTitle, field: "title", allowingNewlines: false)
        let title = FieldRules.trimmed(rawTitle)
        guard !title.isEmpty, rawTitle.unicodeScalars.count <= Self.maxTitle else {
            throw APIError.invalidField("title", "must be 1-\(Self.maxTitle) characters, not all blank")
        }

        var description = ""
        if let value = object["description"], value != .null {
            description = try FieldRules.string(value, field: "description")
            guard description.unicodeScalars.count <= Self.maxDescription else {
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
            guard text.unicodeScalars.count <= Self.maxURLLength, Self.isHTTPURL(text) else {
                throw APIError.invalidField("videoUrl", "must be an http(s) URL of at most \(Self.maxURLLength) characters")
            }
            videoURL = text
        }
        self.draft = ContentDraft(title: title, description: description, durationSeconds: duration, videoUrl: videoURL)
    }

    /// `^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#<controls>]+([/?#][^\\s<controls>]*)?$`, the pattern in openapi.json.
    static func isHTTPURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            rest = text.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            rest = text.dropFirst(7)
        } else {
            return false
        }
        guard text.unicodeScalars.allSatisfy({ !FieldRules.isSpace($0) && !FieldRules.isControl($0) }) else { return false }
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return !host.isEmpty
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
        let raw = try FieldRules.string(value, field: "reason")
        let text = FieldRules.trimmed(raw)
        guard raw.unicodeScalars.count <= Self.maxReason else {
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

    /// JavaScript's `\\s` (which JSON Schema patterns use): Unicode White_Space plus U+FEFF.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar == "\u{FEFF}"
    }

    /// C0 and C1 control characters and DEL (U+0000-U+001F, U+007F-U+009F).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// The text without leading and trailing ``isSpace(_:)`` characters.
    static func trimmed(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[first...last])
        return String(result)
    }

    static func rejectControlCharacters(_ text: String, field: String, allowingNewlines: Bool) throws {
        for scalar in text.unicodeScalars where isControl(scalar) {
            if allowingNewlines, scalar == "\n" || scalar == "\r" || scalar == "\t" { continue }
            throw APIError.invalidField(field, "must not contain control characters")
        }
    }
}
