import ContentQueue

/// The body of `POST /api/invalidate`: `{"family","key","reason"}`, validated field by field.
struct InvalidateRequest {
    static let fields: Set<String> = ["family", "key", "reason"]
    static let maxReason = 64
    static let reservedList = ContentKeys.layoutNames.sorted().joined(separator: ", ")

    let family: FamilyID
    let key: QueryKey
    let reason: String?

    init(_ object: [String: JSONValue]) throws {
        try FieldRules.rejectUnknown(object, allowed: Self.fields)
        guard let familyValue = object["family"] else { throw APIError.invalidField("family", "is required") }
        guard let family = FamilyID(try FieldRules.string(familyValue, field: "family")) else {
            throw APIError.invalidField("family", "must be 1-64 of A-Z a-z 0-9 _ -")
        }
        guard let keyValue = object["key"] else { throw APIError.invalidField("key", "is required") }
        guard let key = QueryKey(try FieldRules.string(keyValue, field: "key")) else {
            throw APIError.invalidField("key", "must be 1-64 of A-Z a-z 0-9 _ -, starting with a letter")
        }
        guard !key.isReserved else {
            throw APIError.invalidField("key", "is reserved: \(Self.reservedList) belong to the content queue")
        }
        var reason: String?
        if let value = object["reason"], value != .null {
            let text = try FieldRules.string(value, field: "reason")
            // The reason is relayed in every client's event: keep it a short token.
            guard !text.isEmpty, text.unicodeScalars.count <= Self.maxReason,
                text.unicodeScalars.allSatisfy({ $0.isASCII && (Self.isTokenCharacter($0)) })
            else {
                throw APIError.invalidField("reason", "must be 1-\(Self.maxReason) of A-Z a-z 0-9 _ - .")
            }
            reason = text
        }
        self.family = family
        self.key = key
        self.reason = reason
    }

    private static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || scalar == "_" || scalar == "-" || scalar == "."
    }
}
