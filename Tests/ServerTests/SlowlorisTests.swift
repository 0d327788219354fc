import ContentQueue
import FlimmerTestSupport
import Server
import Testing

@Suite("Clients that trickle their headers")
struct SlowlorisTests {
    /// One header byte every 50 ms never completes a request head; the connection is dropped
    /// after the idle timeout although bytes keep arriving.
    @Test func aTricklingClientIsDroppedAfterTheIdleTimeout() async throws {
        try await TestServer.run(configure: { $0.idleTimeout = .milliseconds(500) }) { server in
            let connection = try RawConnection(port: server.port)
            let start = ContinuousClock.now
            connection.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            #expect(try await connection.trickle(String(repeating: "X-Slow: aaaaaaaaaa\r\n", count: 20), every: .milliseconds(50)))
            #expect(ContinuousClock.now - start < .seconds(3))
        }
    }

    /// The same timeout never cuts an open event stream: it does not run while a response is written.
    @Test func anOpenStreamOutlivesTheIdleTimeout() async throws {
        // Long enough that a loaded machine still gets the stream's request head in within it.
        try await TestServer.run(configure: { $0.idleTimeout = .seconds(1) }) { server in
            let family = try await server.family()
            let stream = try await server.openStream(token: family.parent)
            defer { stream.close() }
            try await stream.waitUntil("the opening id") { $0.lastEventID != nil }
            try await Task.sleep(for: .milliseconds(2500))
            #expect(!stream.ended)
            // Straight into Redis: a new HTTP connection would itself race the short idle timeout.
            let upload = try await withTestStore { store, _ in
                try await store.upload(family: family.id, child: UserID("kid")!, draft: ContentDraft(title: "after the timeout"))
            }
            #expect(try await stream.nextEvent().data.contains(#""version":\#(upload.version)"#))
        }
    }
}
