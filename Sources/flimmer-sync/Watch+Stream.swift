import ArgumentParser
import FlimmerClient
import FlimmerLogging

extension Watch {
    /// Follows `GET /api/events` through FlimmerClient's `EventStream`, asking `token` before each
    /// connection, and prints each event. After a drop it waits the stream's `retry:` (backing
    /// off while the gateway stays away) and reconnects with the last event id, as a browser's
    /// EventSource would.
    func followStream(token: @escaping @Sendable () async throws -> String) async throws {
        let endpoint = url.hasSuffix("/") ? String(url.dropLast()) + "/api/events" : url + "/api/events"
        do {
            for try await element in EventStream(url: endpoint, tokenProvider: token) {
                switch element {
                case .state(.connecting):
                    break
                case .state(.open(let resumedFrom)):
                    Watch.note("following \(endpoint)" + (resumedFrom.map { " from \($0)" } ?? ""))
                case .state(.reconnecting(let delay)):
                    Watch.note("the stream dropped; reconnecting in \(delay)")
                case .event(let event):
                    let line = InvalidationLine.make(
                        event: event.type,
                        data: event.data,
                        receivedAt: LogRecord.now(),
                        nowMilliseconds: InvalidationLine.nowMilliseconds()
                    )
                    Watch.emit(line ?? "\(LogRecord.now())  \(event.type)  data=\(LogfmtLine.quote(event.data))")
                }
            }
        } catch let error as EventStreamError {
            // Only a refusal ends the stream (a bad or expired token, a service token): retrying cannot help.
            Watch.note("\(endpoint) refused the stream: \(error.serverError?.description ?? "status \(error.status ?? 0)")")
            throw ExitCode(1)
        } catch let error as ValidationError {
            // The token file went away or was emptied between connections.
            Watch.note("no token for the next connection: \(error)")
            throw ExitCode(1)
        }
    }
}
