import AsyncHTTPClient
import FlimmerClient
import FlimmerClientURLSession
import FlimmerTestSupport
import Testing

/// The transports the client's live tests run over: each such test runs once per transport.
enum ClientTransport: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case asyncHTTPClient
    case urlSession

    // One session for all tests, as an app would hold one.
    private static let session = URLSessionTransport()

    /// The transport, AsyncHTTPClient's over the tests' shared client.
    var transport: any HTTPTransport { transport(over: TestHTTP.client) }

    /// The transport, AsyncHTTPClient's over `client` (for tests that configure their own).
    func transport(over client: HTTPClient) -> any HTTPTransport {
        switch self {
        case .asyncHTTPClient: AsyncHTTPClientTransport(client)
        case .urlSession: Self.session
        }
    }

    var testDescription: String { rawValue }
}
