import FlimmerClient
import FlimmerClientURLSession
import FlimmerTestSupport
import Testing

/// What both transports promise beyond the live tests: a deadline, a refused URL, and a
/// stream dropped unread ending its connection.
@Suite("HTTPTransport: deadlines, bad URLs, dropped bodies")
struct HTTPTransportTests {
    @Test(arguments: ClientTransport.allCases) func aServerThatNeverAnswersFailsAtTheDeadline(via: ClientTransport) async throws {
        let silent = try SilentListener()
        defer { silent.stop() }
        let started = ContinuousClock.now
        await #expect(throws: (any Error).self) {
            _ = try await via.transport.send(HTTPTransportRequest(url: "http://127.0.0.1:\(silent.port)/", timeout: .milliseconds(300)))
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(250) && waited < .seconds(5), "failed after \(waited)")
    }

    @Test func urlSessionNamesItsTimeout() async throws {
        let silent = try SilentListener()
        defer { silent.stop() }
        let error = await #expect(throws: HTTPTransportError.self) {
            _ = try await ClientTransport.urlSession.transport.send(
                HTTPTransportRequest(url: "http://127.0.0.1:\(silent.port)/", timeout: .milliseconds(200))
            )
        }
        #expect(error?.code == .timedOut, "\(String(describing: error))")
    }

    @Test(arguments: ["ftp://127.0.0.1/file", "not a url", ""])
    func urlSessionRefusesAURLItCannotSend(url: String) async throws {
        let error = await #expect(throws: HTTPTransportError.self) {
            _ = try await ClientTransport.urlSession.transport.send(HTTPTransportRequest(url: url, timeout: .seconds(1)))
        }
        #expect(error?.code == .invalidURL)
    }

    @Test(arguments: ClientTransport.allCases) func aStreamDroppedUnreadIsClosed(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            var response: HTTPTransportResponse? = try await via.transport.send(
                HTTPTransportRequest(
                    url: server.baseURL + "/api/events",
                    headers: [("Authorization", "Bearer \(family.parent)")],
                    timeout: nil
                )
            )
            #expect(response?.status == 200)
            #expect(response?.header("content-type")?.hasPrefix("text/event-stream") == true)
            try await Self.waitForStreams(1, on: server)
            response = nil
            // Nobody reads the body any more: the transport closes the connection, and the
            // gateway, seeing it closed, drops the stream.
            try await Self.waitForStreams(0, on: server)
        }
    }

    private static func waitForStreams(_ count: Int, on server: TestServer) async throws {
        try await eventually("\(count) streams on the gateway, not \(server.server.hub.streamCount)", timeout: .seconds(10)) {
            server.server.hub.streamCount == count
        }
    }
}
