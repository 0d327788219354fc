import AsyncHTTPClient
import NIOConcurrencyHelpers
import NIOCore

/// Holds one SSE stream open and records when each queue version arrived on it.
final class StreamRecorder: Sendable {
    struct State {
        var arrivals: [Int: ContinuousClock.Instant] = [:]
        var opened = false
        /// The newest queue version seen on the stream.
        var highest = 0
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
                // Frames end with a blank line; parse complete frames only, in one pass.
                var frameStart = 0
                var index = 0
                var versions: [Int] = []
                var sawFrame = false
                while index + 1 < pending.count {
                    if pending[index] == 10 && pending[index + 1] == 10 {
                        sawFrame = true
                        if let version = Self.invalidateVersion(pending[frameStart..<index]) { versions.append(version) }
                        index += 2
                        frameStart = index
                    } else {
                        index += 1
                    }
                }
                if frameStart > 0 { pending.removeFirst(frameStart) }
                if sawFrame {
                    state.withLockedValue { state in
                        state.opened = true
                        for version in versions where state.arrivals[version] == nil { state.arrivals[version] = now }
                        state.highest = versions.reduce(state.highest, Swift.max)
                    }
                }
            }
            state.withLockedValue { $0.ended = true }
        } catch {
            state.withLockedValue {
                if !$0.ended { $0.failure = "\(error)" }
            }
        }
    }

    private static let eventMarker = Array("event: invalidate".utf8)
    private static let versionMarker = Array("\"version\":".utf8)

    /// The queue version of an `invalidate` frame; `nil` for anything else.
    static func invalidateVersion(_ frame: ArraySlice<UInt8>) -> Int? {
        guard frame.firstRange(of: eventMarker) != nil, let range = frame.firstRange(of: versionMarker) else { return nil }
        var value = 0
        var index = range.upperBound
        var digits = 0
        while index < frame.endIndex, (48...57).contains(frame[index]) {
            value = value * 10 + Int(frame[index] - 48)
            index += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }
}
