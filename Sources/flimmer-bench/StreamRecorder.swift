import AsyncHTTPClient
import NIOConcurrencyHelpers
import NIOCore

/// Holds one SSE stream open and records when each queue version arrived on it.
final class StreamRecorder: Sendable {
    struct State {
        var arrivals: [Int: ContinuousClock.Instant] = [:]
        var opened = false
        var ended = false
        var failure: String?
    }

    let family: Int
    let state = NIOLockedValueBox(State())

    init(family: Int) {
        self.family = family
    }

    func run(client: HTTPClient, url: String, token: String) async {
        do {
            var request = HTTPClientRequest(url: url + "/api/events")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await client.execute(request, timeout: .hours(1))
            guard response.status == .ok else {
                state.withLockedValue { $0.failure = "status \(response.status.code)" }
                return
            }
            var pending: [UInt8] = []
            for try await buffer in response.body {
                let now = ContinuousClock.now
                pending += buffer.readableBytesView
                // Frames end with a blank line; parse complete frames only.
                while let end = Self.frameEnd(pending) {
                    let frame = pending[..<end]
                    pending.removeFirst(end + 2)
                    record(frame: frame, at: now)
                }
            }
            state.withLockedValue { $0.ended = true }
        } catch {
            state.withLockedValue {
                if !$0.ended { $0.failure = "\(error)" }
            }
        }
    }

    private func record(frame: ArraySlice<UInt8>, at instant: ContinuousClock.Instant) {
        let text = String(decoding: frame, as: UTF8.self)
        if text.hasPrefix("retry:") || text.hasPrefix("id:") && !text.contains("data:") {
            state.withLockedValue { $0.opened = true }
        }
        guard text.contains("event: invalidate"), let range = text.range(of: "\"version\":") else { return }
        let digits = text[range.upperBound...].prefix { $0.isNumber }
        guard let version = Int(digits) else { return }
        state.withLockedValue { state in
            state.opened = true
            if state.arrivals[version] == nil { state.arrivals[version] = instant }
        }
    }

    private static func frameEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        for index in 0..<(bytes.count - 1) where bytes[index] == 10 && bytes[index + 1] == 10 {
            return index
        }
        return nil
    }
}
