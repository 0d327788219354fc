import FlimmerClient
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An `HTTPTransport` over `URLSession`: the system's networking on Apple platforms (its proxy
/// settings, VPN, cellular and low-data policies), Foundation's curl-based one elsewhere.
///
/// Bodies arrive through the session delegate as they are read, so an event stream is read as
/// it comes. The transport reads at most `readAhead` bytes ahead of the consumer: past that it
/// suspends the task until the consumer has taken half of them.
///
/// ```swift
/// let transport = URLSessionTransport()
/// let stream = EventStream(url: "https://sync.example/api/events", token: token, transport: transport)
/// let cache = QueryCache(token: token, transport: transport)
/// ```
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession
    private let delegate: URLSessionTransportDelegate
    private let readAhead: Int

    /// A transport with a session of its own made from `configuration`.
    ///
    /// The defaults suit a client of the gateway: an ephemeral configuration without a URL
    /// cache (the `QueryCache` keeps ETags itself and must see a 304 as a 304) or cookies, and
    /// 32 connections per host instead of the system's 6, since every open event stream holds
    /// one over HTTP/1.1. `readAhead` (at least 16 KiB) bounds what is read but not yet taken.
    public init(configuration: URLSessionConfiguration = URLSessionTransport.defaultConfiguration(), readAhead: Int = 256 * 1024) {
        delegate = URLSessionTransportDelegate()
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        queue.name = "flimmer.client.urlsession"
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        self.readAhead = max(readAhead, 16 * 1024)
    }

    deinit {
        // A session keeps its delegate until it is invalidated; tasks still running end with it.
        session.invalidateAndCancel()
    }

    /// The configuration `init()` uses; see there.
    public static func defaultConfiguration() -> URLSessionConfiguration {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpShouldSetCookies = false
        configuration.httpMaximumConnectionsPerHost = 32
        return configuration
    }

    public func send(_ request: HTTPTransportRequest) async throws -> HTTPTransportResponse {
        guard let url = URL(string: request.url), url.scheme == "http" || url.scheme == "https" else {
            throw HTTPTransportError(.invalidURL)
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        for field in request.headers { urlRequest.addValue(field.value, forHTTPHeaderField: field.name) }
        urlRequest.httpBody = request.body.map { Data($0) }
        // URLRequest's timeout is one of silence, not of the whole exchange (that one is the
        // response's own deadline below), and Foundation on Linux counts it in whole seconds
        // (0.2 s failed at once here). A stream's reader watches silence itself.
        urlRequest.timeoutInterval = request.timeout.map { max($0.seconds.rounded(.up), 1) } ?? 24 * 3600

        let task = session.dataTask(with: urlRequest)
        let response = URLSessionResponse(task: task, readAhead: readAhead)
        delegate.register(response, for: task)
        if let timeout = request.timeout { response.setDeadline(after: timeout) }
        task.resume()
        let head = try await response.head()
        let handle = URLSessionResponse.BodyHandle(response)
        return HTTPTransportResponse(
            status: head.statusCode,
            headers: head.allHeaderFields.compactMap { name, value in
                guard let name = name as? String else { return nil }
                return (name: name, value: "\(value)")
            },
            body: HTTPTransportBody { try await handle.next() }
        )
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
