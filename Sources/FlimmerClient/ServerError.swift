import Foundation

/// The gateway's own account of a refused request: the `{"error":{"code":…,"message":…}}`
/// body that every error response of its API carries.
public struct ServerError: Sendable, Hashable, CustomStringConvertible {
    /// The stable, machine-readable code, such as `unauthorized` or `too_many_streams`.
    public var code: String
    /// A sentence for people.
    public var message: String

    /// An error as the server described it.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// The error in `body`, or nil when the body is not the gateway's error JSON (a proxy's page, say).
    public init?(body: some Collection<UInt8>) {
        guard let decoded = try? JSONDecoder().decode(Envelope.self, from: Data(body)) else { return nil }
        self = decoded.error
    }

    public var description: String { "\(code): \(message)" }

    private struct Envelope: Decodable {
        var error: ServerError
    }
}

extension ServerError: Decodable {}
