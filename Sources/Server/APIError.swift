import FlimmerFormats
import Foundation
import HTTPTypes
import Hummingbird

/// An error the API returns as `{"error":{"code":"...","message":"..."}}` with a fitting status.
public struct APIError: Error, HTTPResponseError, Sendable, Equatable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A stable, machine-readable code such as `not_found` or `invalid_field`.
    public var code: String
    /// A sentence for people. Never contains a token, a password or another family's data.
    public var message: String
    /// The request field at fault, for validation errors.
    public var field: String?
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        jsonResponse
    }

    /// The JSON response for this error.
    public var jsonResponse: Response {
        var body = "{\"error\":{\"code\":\(JSONText.quoted(code)),\"message\":\(JSONText.quoted(message))"
        if let field { body += ",\"field\":\(JSONText.quoted(field))" }
        body += "}}"
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

extension APIError {
    static func unauthorized(_ message: String) -> APIError {
        APIError(.unauthorized, code: "unauthorized", message: message, headers: [.wwwAuthenticate: "Bearer"])
    }

    static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, code: "forbidden", message: message)
    }

    static func notFound(_ message: String) -> APIError {
        APIError(.notFound, code: "not_found", message: message)
    }

    static func invalidField(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_field", message: "\(field): \(message)", field: field)
    }

    static func invalidJSON(_ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_json", message: message)
    }

    static let redisUnavailable = APIError(
        .serviceUnavailable,
        code: "redis_unavailable",
        message: "the data store is unavailable; try again shortly",
        headers: [.retryAfter: "1"]
    )
}
