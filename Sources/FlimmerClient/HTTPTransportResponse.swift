/// A response of an `HTTPTransport`: its head, and its body as it arrives.
public struct HTTPTransportResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header fields as received.
    public var headers: [(name: String, value: String)]
    /// The body, to be read once.
    public var body: HTTPTransportBody

    /// A response with the given parts.
    public init(status: Int, headers: [(name: String, value: String)], body: HTTPTransportBody) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the header field `name` (compared without regard to case).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }
}

extension String {
    /// Equal but for ASCII case, as header field names compare.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        utf8.count == other.utf8.count && zip(utf8, other.utf8).allSatisfy { Self.lower($0) == Self.lower($1) }
    }

    private static func lower(_ byte: UInt8) -> UInt8 { (65...90).contains(byte) ? byte | 0x20 : byte }
}
