import ArgumentParser
import AsyncHTTPClient
import FlimmerLogging
import NIOCore
import NIOHTTP1

extension Watch {
    /// Follows `GET /api/events` with `token`, printing each event; after a drop it waits the
    /// stream's `retry:` and reconnects with the last event id, as a browser's EventSource would.
    func followStream(token: String) async throws {
        var configuration = HTTPClient.Configuration()
        // Heartbeats come every 15 s by default: a minute of silence is a dead connection.
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await follow(token: token, client: client)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func follow(token: String, client: HTTPClient) async throws {
        let endpoint = url.hasSuffix("/") ? String(url.dropLast()) + "/api/events" : url + "/api/events"
        var lastEventID: String?
        var retry: Duration = .seconds(2)
        var failures = 0
        while true {
            var request = HTTPClientRequest(url: endpoint)
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Accept", value: "text/event-stream")
            if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
            do {
                // A stream lasts up to the gateway's stream lifetime; the read timeout catches a dead one.
                let response = try await client.execute(request, timeout: .hours(24 * 365))
                guard response.status == .ok else {
                    let body = String(buffer: try await response.body.collect(upTo: 64 * 1024))
                    Watch.note("\(endpoint) answered \(response.status.code): \(body)")
                    if response.status == .unauthorized || response.status == .forbidden { throw ExitCode(1) }
                    throw StreamDropped()
                }
                Watch.note("following \(endpoint)" + (lastEventID.map { " from \($0)" } ?? ""))
                failures = 0
                var parser = SSEEventParser()
                for try await chunk in response.body {
                    for event in parser.feed(chunk.readableBytesView) {
                        let line = InvalidationLine.make(
                            event: event.event, data: event.data, receivedAt: LogRecord.now(),
                            nowMilliseconds: InvalidationLine.nowMilliseconds()
                        )
                        Watch.emit(line ?? "\(LogRecord.now())  \(event.event)  data=\(LogfmtLogHandler.quote(event.data))")
                    }
                    if let id = parser.lastEventID { lastEventID = id }
                    if let milliseconds = parser.retryMilliseconds { retry = .milliseconds(milliseconds) }
                }
                Watch.note("the stream ended; reconnecting in \(retry)")
            } catch let exit as ExitCode {
                throw exit
            } catch {
                failures += 1
                if !(error is StreamDropped) { Watch.note("the stream failed: \(error); reconnecting") }
            }
            // After repeated failures, back off up to 30 s rather than hammer a gateway that is down.
            let wait = failures > 1 ? min(retry * (1 << min(failures - 1, 4)), .seconds(30)) : retry
            try await Task.sleep(for: wait)
        }
    }
}
