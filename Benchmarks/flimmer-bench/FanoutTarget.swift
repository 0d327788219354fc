import ContentQueue
import Server

/// One server the fanout command measures, and how to subscribe to and publish on it.
struct FanoutTarget: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case gateway, nchan, pushpin, redis
    }

    var kind: Kind
    /// Where the streams connect.
    var endpoint: Endpoint
    /// Where events are published: the gateway's Redis, the server itself, or Pushpin's publish port.
    var publishEndpoint: Endpoint
    var processes: ServerProcesses
    /// Mints the gateway's parent tokens; nil for the other targets.
    var authority: TokenAuthority?

    /// Streams speak HTTP (a `200` head comes first); Redis streams speak RESP.
    var http: Bool { kind != .redis }

    /// The gateway family of run `run`; a fresh family, so its version starts at 0.
    static func family(run: String) -> String { "bench-\(run)" }

    /// The channel (Nchan, Pushpin) or Redis channel the run uses; Nchan's location and the
    /// Pushpin origin's path take `\w+` only.
    func channel(run: String) -> String {
        switch kind {
        case .gateway: "invalidate:contentQueue"
        case .nchan, .pushpin: "bench\(run)"
        case .redis: "bench:\(run)"
        }
    }

    /// The request each stream sends: GET /api/events with a token of its own user (the gateway
    /// caps streams per user), GET /sub/<channel> (Nchan; Pushpin, which asks its origin), or SUBSCRIBE.
    func requests(streams: Int, run: String, lastEventIDs: [String?]? = nil) async throws -> [[UInt8]] {
        var requests: [[UInt8]] = []
        requests.reserveCapacity(streams)
        switch kind {
        case .gateway:
            guard let authority, let family = FamilyID(Self.family(run: run)) else { throw BlockingSocket.Failure(description: "no token authority") }
            for index in 0..<streams {
                let token = try await authority.issue(for: Principal(family: family, user: UserID("u\(index)")!, role: .parent), ttl: 3600)
                requests.append(Self.streamRequest(endpoint, token: token, lastEventID: lastEventIDs?[index]))
            }
        case .nchan, .pushpin:
            let request = Array(
                "GET \(endpoint.path)/sub/\(channel(run: run)) HTTP/1.1\r\nHost: \(endpoint.hostHeader)\r\nAccept: text/event-stream\r\n\r\n".utf8
            )
            requests = Array(repeating: request, count: streams)
        case .redis:
            requests = Array(repeating: RESPPublisher.command(["SUBSCRIBE", channel(run: run)]), count: streams)
        }
        return requests
    }

    /// The gateway's `GET /api/events` with a bearer token, and a Last-Event-ID when resuming.
    static func streamRequest(_ endpoint: Endpoint, token: String, lastEventID: String? = nil) -> [UInt8] {
        var request =
            "GET \(endpoint.path)/api/events HTTP/1.1\r\nHost: \(endpoint.hostHeader)\r\nAuthorization: Bearer \(token)\r\nAccept: text/event-stream\r\n"
        if let lastEventID { request += "Last-Event-ID: \(lastEventID)\r\n" }
        return Array((request + "\r\n").utf8)
    }

    /// The publisher's connection; made before the streams connect so that a wrong address fails early.
    func publishChannel(run: String) throws -> any PublishChannel {
        switch kind {
        case .gateway, .redis: try RESPPublisher(publishEndpoint, channel: channel(run: run))
        case .nchan: try NchanPublisher(publishEndpoint, channel: channel(run: run))
        case .pushpin: try PushpinPublisher(publishEndpoint, channel: channel(run: run))
        }
    }
}
