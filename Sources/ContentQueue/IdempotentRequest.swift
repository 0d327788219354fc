import Crypto
import FlimmerFormats

/// A mutation that carries an `Idempotency-Key`: the key, scoped to who sent it and to the
/// route, and a digest of the request itself.
///
/// Its record lives in the family's hash slot (`idempotency:{F}:<digest of scope and key>`), is
/// written in the same MULTI as the mutation, and expires after ``retention``. A retry with the
/// same key and the same request finds the record and gets the stored answer back, with nothing
/// written; the same key with another request is refused.
public struct IdempotentRequest: Sendable, Equatable {
    /// How long a record is kept: a client may retry for this long.
    public static let retention: Duration = .seconds(24 * 3600)

    public let key: IdempotencyKey
    /// Who sent it and where: a user's key means nothing for another user or another route.
    public let scope: String
    /// SHA-256 of the request (method, path and body), hex.
    public let requestDigest: String

    /// - Parameters:
    ///   - scope: the user and the route pattern, e.g. `kid POST /api/content/upload`.
    ///   - request: the request's method, path and body, as the server read them.
    public init(key: IdempotencyKey, scope: String, request: [UInt8]) {
        self.key = key
        self.scope = scope
        self.requestDigest = Self.hex(SHA256.hash(data: request))
    }

    /// The record's key for `family`: the digest keeps the user's key out of the key name and
    /// bounded in length.
    func recordKey(_ keys: ContentKeys) -> String {
        keys.idempotency(Self.hex(SHA256.hash(data: Array((scope + "\n" + key.rawValue).utf8))))
    }

    /// What is stored: the request's digest, then the answer's body.
    func record(body: String) -> String {
        requestDigest + " " + body
    }

    /// The stored answer's body, or `nil` when the record was made by another request.
    func replay(from record: String) -> String? {
        guard record.hasPrefix(requestDigest + " ") else { return nil }
        return String(record.dropFirst(requestDigest.count + 1))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { HexText.padded($0) }.joined()
    }
}
