import ContentQueue
import CoreMetrics
import HTTPTypes
import Hummingbird
import NIOCore

extension HTTPField.Name {
    /// A client's key for one mutation; a retry sends the same key.
    static let idempotencyKey = Self("Idempotency-Key")!
    /// `true` on an answer that was stored by an earlier request with the same key.
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}

/// What every mutating route shares: its `Idempotency-Key`, its answer, and the counts of
/// replays and of writes the replicas did not confirm in time.
struct MutationRequests: Sendable {
    let idempotentReplays: Counter
    let replicationTimeouts: Counter

    init(factory: any MetricsFactory) {
        idempotentReplays = Counter(label: "flimmer_idempotent_replays_total", factory: factory)
        replicationTimeouts = Counter(label: "flimmer_replication_timeouts_total", factory: factory)
    }

    /// The request's key, scoped to `user` and `route` (the route's pattern, e.g.
    /// `POST /api/content/{id}/approve`), with a digest of its method, path and body bytes;
    /// `nil` without the header.
    func idempotency(_ request: Request, user: UserID, route: String, body: ByteBuffer) throws -> IdempotentRequest? {
        let values = request.headers[values: .idempotencyKey]
        guard let text = values.first else { return nil }
        guard values.count == 1, let key = IdempotencyKey(text) else {
            throw APIError(
                .badRequest,
                code: "invalid_idempotency_key",
                message: "Idempotency-Key must be sent once, as 1 to 255 printable ASCII characters"
            )
        }
        var bytes = Array("\(request.method.rawValue) \(request.uri.path)\n".utf8)
        bytes += body.readableBytesView
        return IdempotentRequest(key: key, scope: "\(user.rawValue) \(route)", request: bytes)
    }

    /// Runs the mutation and answers it as JSON; a replayed answer says so in `Idempotent-Replayed`.
    func answer<Value>(_ mutation: () async throws -> Mutated<Value>, body: (Value) -> some Encodable) async throws -> Response {
        let mutated: Mutated<Value>
        do {
            mutated = try await mutation()
        } catch let error as ContentQueueError where error.code == .replicationTimeout {
            replicationTimeouts.increment()
            throw error
        }
        if mutated.replayed { idempotentReplays.increment() }
        let headers: HTTPFields = mutated.replayed ? [.idempotentReplayed: "true"] : [:]
        return try JSONResponse.make(body(mutated.value), headers: headers)
    }
}
