import AsyncHTTPClient
import FlimmerClient
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// An open `text/event-stream` response, read in the background and parsed as it arrives.
public final class SSETestStream: Sendable {
    private struct State {
        var items: [EventStreamItem] = []
        var raw: [UInt8] = []
        var ended = false
        var lastEventID: String?
    }

    public let status: Int
    public let headers: HTTPHeaders
    private let state = NIOLockedValueBox(State())
    private let reader = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let cursor = NIOLockedValueBox(0)

    init(response: HTTPClientResponse) {
        self.status = Int(response.status.code)
        self.headers = response.headers
        let task = Task { [state] in
            var parser = EventStreamParser()
            do {
                for try await buffer in response.body {
                    let bytes = Array(buffer.readableBytesView)
                    let items = parser.items(bytes)
                    let id = parser.lastEventID.isEmpty ? nil : parser.lastEventID
                    state.withLockedValue {
                        $0.raw += bytes
                        $0.items += items
                        $0.lastEventID = id
                    }
                }
            } catch {}
            state.withLockedValue { $0.ended = true }
        }
        reader.withLockedValue { $0 = task }
    }

    /// Everything read so far, parsed.
    public var items: [EventStreamItem] { state.withLockedValue { $0.items } }
    /// Only the dispatched events read so far.
    public var events: [ServerSentEvent] { items.compactMap(\.event) }
    /// The raw bytes read so far, as text.
    public var rawText: String { state.withLockedValue { String(decoding: $0.raw, as: UTF8.self) } }
    /// Whether the server ended the response.
    public var ended: Bool { state.withLockedValue { $0.ended } }
    /// The id a browser would send as Last-Event-ID now.
    public var lastEventID: String? { state.withLockedValue { $0.lastEventID } }

    /// The next dispatched event after those already returned by `nextEvent`.
    public func nextEvent(timeout: Duration = .seconds(5)) async throws -> ServerSentEvent {
        try await eventuallyValue("an event within \(timeout); read so far:\n\(rawText)", timeout: timeout, poll: .milliseconds(2)) {
            let found = state.withLockedValue { state -> ServerSentEvent? in
                let events = state.items.compactMap(\.event)
                return cursor.withLockedValue { index in
                    guard index < events.count else { return nil }
                    defer { index += 1 }
                    return events[index]
                }
            }
            if found == nil, ended { throw TestFailure("the stream ended while waiting for an event; read so far:\n\(rawText)") }
            return found
        }
    }

    /// The next dispatched event whose id is not `id`. A stream opened just after a write may get
    /// that write's event after its opening frames (the gateway relays at least once what was
    /// published while the stream opened), under the opening id: pass that id to wait for the
    /// first event that says something new.
    public func nextEvent(timeout: Duration = .seconds(5), skippingID id: String?) async throws -> ServerSentEvent {
        let deadline = ContinuousClock.now + timeout
        while true {
            let event = try await nextEvent(timeout: max(.milliseconds(1), deadline - .now))
            if event.id != id { return event }
        }
    }

    /// Waits until `predicate` holds for what was read, or fails after `timeout`.
    public func waitUntil(timeout: Duration = .seconds(5), _ what: String, _ predicate: @Sendable (SSETestStream) -> Bool) async throws {
        try await eventually("\(what); read so far:\n\(rawText)", timeout: timeout, poll: .milliseconds(2)) { predicate(self) }
    }

    /// Stops reading and closes the connection.
    public func close() {
        reader.withLockedValue { $0?.cancel() }
    }
}
