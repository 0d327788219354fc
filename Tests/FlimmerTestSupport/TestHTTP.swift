import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP client for all tests, with room for many concurrent requests and open streams.
public enum TestHTTP {
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 128)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}

/// A buffered response.
public struct TestResponse: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object; fails the test through a thrown error when it is not one.
    public func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw TestFailure("response body is not a JSON object: \(text)")
        }
        return object
    }

    /// `error.code` of an API error body.
    public var errorCode: String? {
        ((try? json())?["error"] as? [String: Any])?["code"] as? String
    }

    /// `error.message` of an API error body.
    public var errorMessage: String? {
        ((try? json())?["error"] as? [String: Any])?["message"] as? String
    }
}

/// A failed expectation inside support code.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
