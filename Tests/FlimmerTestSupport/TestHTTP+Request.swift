import AsyncHTTPClient
import NIOCore
import NIOHTTP1

extension TestHTTP {
    /// Sends one request to the gateway at `baseURL` (a live server, in this process or not)
    /// and reads the whole response.
    public static func request(
        _ method: HTTPMethod,
        _ url: String,
        token: String? = nil,
        headers: [(String, String)] = [],
        bytes: [UInt8]? = nil
    ) async throws -> TestResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if bytes != nil { request.headers.add(name: "Content-Type", value: "application/json") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let bytes { request.body = .bytes(ByteBuffer(bytes: bytes)) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return TestResponse(status: Int(response.status.code), headers: response.headers, body: Array(body.readableBytesView))
    }
}
