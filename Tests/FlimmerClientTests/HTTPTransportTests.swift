import FlimmerClient
import FlimmerClientURLSession
import FlimmerTestSupport
import Testing

/// What both transports promise beyond the live tests: a deadline, a refused URL, and a body
/// dropped unread ending its request.
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

    @Test(arguments: ClientTransport.allCases) func aBodyDroppedUnreadEndsItsRequest(via: ClientTransport) async throws {
        let server = try FloodingServer()
        defer { server.stop() }
        var response: HTTPTransportResponse? = try await via.transport.send(
            HTTPTransportRequest(url: "http://127.0.0.1:\(server.port)/", timeout: nil)
        )
        #expect(response?.status == 200)
        #expect(response?.header("content-type") == "text/event-stream")
        response = nil
        // The server writes as long as the connection is read; once it is closed, it stops.
        var last = server.bytesWritten
        var stableSince = ContinuousClock.now
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now - stableSince < .seconds(1), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            let now = server.bytesWritten
            if now != last { (last, stableSince) = (now, ContinuousClock.now) }
        }
        #expect(ContinuousClock.now - stableSince >= .seconds(1), "the server still writes (\(last) bytes) to a dropped body")
        #expect(server.connectionClosed)
    }
}
