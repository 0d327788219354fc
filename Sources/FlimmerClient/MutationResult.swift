import Foundation

/// The server's answer to a mutation that succeeded.
public struct MutationResult: Sendable, Hashable {
    /// The HTTP status (200).
    public let status: Int
    /// The JSON body: `{"item":{…},"version":N,"epoch":E,…}`.
    public let body: [UInt8]
    /// Whether the server answered from the record of an earlier attempt with the same key
    /// (`Idempotent-Replayed: true`): the mutation had been written before.
    public let replayed: Bool
    /// How many attempts it took.
    public let attempts: Int

    /// The body decoded as `type`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(body))
    }
}
