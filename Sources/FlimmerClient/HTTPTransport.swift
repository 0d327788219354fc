/// How the client's parts (`EventStream`, `QueryCache`, `ContentMutations`) send HTTP requests.
///
/// Two come with the package: `AsyncHTTPClientTransport` (SwiftNIO, every platform, the
/// default) and `URLSessionTransport` in the `FlimmerClientURLSession` library, for apps that
/// want the system's networking (its proxy settings, its cellular and low-data policies).
/// An implementation hands over the response as soon as its head has arrived and delivers the
/// body as it is read, no faster than it is taken: an event stream is one long body.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns once the response head has arrived. Throws on network
    /// errors and timeouts; any status, 4xx and 5xx included, is a response, not an error.
    /// Cancelling the calling task, or the task reading the body, ends the request.
    func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse
}
