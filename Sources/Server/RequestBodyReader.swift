import Foundation
import Hummingbird
import NIOCore

/// Reads a JSON object body with a size limit, before any validation of its fields.
struct RequestBodyReader: Sendable {
    /// Largest body accepted; past it the request gets 413 without the rest being read.
    let maxBytes: Int

    /// The body's top-level object. An empty body is `[:]` when `allowEmpty`, else an error.
    func object(_ request: Request, allowEmpty: Bool = false) async throws -> [String: JSONValue] {
        try await read(request, allowEmpty: allowEmpty).object
    }

    /// The body's top-level object and the bytes it was read from (an idempotency key's request
    /// digest covers the bytes as sent).
    func read(_ request: Request, allowEmpty: Bool = false) async throws -> (object: [String: JSONValue], bytes: ByteBuffer) {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes {
            throw APIError.payloadTooLarge(maxBytes)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBytes)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge(maxBytes)
        }
        if buffer.readableBytes == 0 {
            if allowEmpty { return ([:], buffer) }
            throw APIError.invalidJSON("the request body must be a JSON object")
        }
        let bytes = Data(buffer.readableBytesView)
        // JSONDecoder would replace broken UTF-8 in some builds; refuse it outright.
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw APIError.invalidJSON("the request body is not valid UTF-8")
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: bytes)
        } catch {
            throw APIError.invalidJSON("the request body is not valid JSON")
        }
        guard case .object(let object) = value else {
            throw APIError.invalidJSON("the request body must be a JSON object, not \(value.typeName)")
        }
        return (object, buffer)
    }
}

extension APIError {
    static func payloadTooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "payload_too_large", message: "the request body is larger than \(limit) bytes")
    }
}
