import ContentQueue
import FlimmerTestSupport
import Server
import Testing

/// Every connection is sorted by its first request line before Hummingbird or a stream gets it:
/// these tests send that line and what follows in pieces, slowly or too long, over raw sockets.
@Suite("Sorting connections: a stream's first request or plain HTTP")
struct ConnectionSnifferTests {
    /// A stream request whose line and head arrive a few bytes at a time still opens a stream.
    @Test func aStreamHeadInPiecesStillOpensAStream() async throws {
        try await TestServer.run { server in
            let family = TestEnvironment.uniqueFamily()
            let parent = try await server.token(family: family, user: "mom", role: .parent)
            let connection = try RawConnection(port: server.port)
            let head = "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(parent)\r\n\r\n"
            var rest = Substring(head)
            while !rest.isEmpty {
                #expect(connection.send(String(rest.prefix(7))))
                rest = rest.dropFirst(7)
                try await Task.sleep(for: .milliseconds(5))
            }
            let opening = await connection.receive(until: "\n\n")
            #expect(opening.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(!opening.lowercased().contains("transfer-encoding"))
            #expect(server.server.hub.streamCount == 1)
        }
    }

    /// An upload whose head and body arrive apart is replayed into Hummingbird whole.
    @Test func aRequestThatIsNotAStreamReachesHummingbirdWhole() async throws {
        try await TestServer.run { server in
            let family = TestEnvironment.uniqueFamily()
            let child = try await server.token(family: family, user: "kid", role: .child)
            let body = #"{"title":"In two parts"}"#
            let connection = try RawConnection(port: server.port)
            #expect(connection.send("POST /api/content/upl"))
            try await Task.sleep(for: .milliseconds(20))
            #expect(
                connection.send(
                    "oad HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(child)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                )
            )
            try await Task.sleep(for: .milliseconds(20))
            #expect(connection.send(body))
            let response = await connection.receive(until: "\"version\"")
            #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(response.contains("In two parts"))
        }
    }

    /// A client that trickles a stream's request line never gets past the idle timeout.
    @Test func aTrickledStreamRequestIsDroppedAfterTheIdleTimeout() async throws {
        try await TestServer.run(configure: { $0.idleTimeout = .milliseconds(500) }) { server in
            let connection = try RawConnection(port: server.port)
            let start = ContinuousClock.now
            #expect(try await connection.trickle("GET /api/events?keys=" + String(repeating: "a", count: 200), every: .milliseconds(20)))
            #expect(ContinuousClock.now - start < .seconds(3))
            #expect(server.server.hub.streamCount == 0)
        }
    }

    /// A first line longer than the sniffer keeps goes to Hummingbird, whose own limits answer it.
    @Test func anOverlongFirstLineIsAnsweredByHummingbird() async throws {
        try await TestServer.run { server in
            let connection = try RawConnection(port: server.port)
            let path = "/api/events?keys=" + String(repeating: "a", count: 20 * 1024)
            #expect(connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
            let response = await connection.receive(until: "\r\n\r\n")
            #expect(response.hasPrefix("HTTP/1.1 4"))
            #expect(server.server.hub.streamCount == 0)
        }
    }
}
