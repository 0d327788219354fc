import FlimmerFormats
import HTTPTypes
import NIOConcurrencyHelpers

/// The `X-Request-Id` of each request: the client's own when it is a sane token, else a new one.
///
/// A client's id is taken as is only when it is 1-64 of `A-Z a-z 0-9 . _ -`: it goes into every
/// log line of the request, so it must not be able to forge log fields, carry a newline or
/// grow the logs.
enum RequestIDs {
    /// `X-Request-Id`.
    static let header = HTTPField.Name("X-Request-Id")!

    /// The longest id taken from a client.
    static let maxLength = 64

    /// `value` if it is a sane token, else nil.
    static func accepted(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= maxLength else { return nil }
        let allowed = value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
        return allowed ? value : nil
    }

    /// A new id: 16 hex digits, distinct for 2^64 requests of this process and unlike those of
    /// other processes. Ids name log lines, they guard nothing, so they need not be unguessable:
    /// a random start once and a Weyl step per id avoid a getrandom syscall per request (it was
    /// a visible part of an upload's CPU).
    static func make() -> String {
        let value = state.withLockedValue { value -> UInt64 in
            value &+= 0x9E37_79B9_7F4A_7C15
            return value
        }
        return HexText.padded(value)
    }

    private static let state = NIOLockedValueBox(UInt64.random(in: 0...UInt64.max))

    /// The id for a request with these headers.
    static func id(for headers: HTTPFields) -> String {
        accepted(headers[header]) ?? make()
    }
}
