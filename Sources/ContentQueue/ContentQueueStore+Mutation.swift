import Foundation
import RedisClient

extension ContentQueueStore {
    /// What every mutation commits with, besides its own writes.
    struct Guarantees: Sendable {
        /// The request's idempotency key, if it sent one.
        var idempotency: IdempotentRequest?
        /// Replicas that must hold the write before it is acknowledged (WAIT); 0 for none.
        var replicas: Int
        var replicationTimeout: Duration
        /// Where the invalidation is published.
        var channels: InvalidationChannels = .classic
    }

    /// One attempt of a mutation, the frame every mutation shares: WATCH `watch` and the request's
    /// idempotency record; read `reads` and the record; a record ends it (its stored answer, or
    /// a refusal when another request made it); otherwise `plan` decides from the reads and the
    /// commit writes the record in the same MULTI, then WAITs for the replicas.
    static func attempt<Value: Codable & Sendable>(
        _ connection: some RedisPipeline,
        keys: ContentKeys,
        watch: [String],
        reads: [RedisCommand],
        guarantees: Guarantees,
        plan: ([RedisValue], RedisGeneration?) throws -> MutationPlan<Value>
    ) async throws -> Attempt<Value> {
        let recordKey = guarantees.idempotency.map { $0.recordKey(keys) }
        var commands = [RedisCommand("WATCH", watch + (recordKey.map { [$0] } ?? []))] + reads
        if let recordKey { commands.append(RedisCommand("GET", recordKey)) }
        let answered = try await connection.replies(to: commands)
        try answered.values[0].throwingServerError()
        var values = Array(answered.values.dropFirst())
        if let idempotency = guarantees.idempotency, let recordKey, let record = values.popLast(), !record.isNull {
            try await connection.send(RedisCommand("UNWATCH"))
            let replayed: Attempt<Value> = try replay(record, for: idempotency)
            if case .replayed = replayed { try await confirmReplicated(connection, recordKey: recordKey, guarantees: guarantees) }
            return replayed
        }
        let decided: MutationPlan<Value>
        do {
            decided = try plan(values, answered.generation)
        } catch let error as ContentQueueError {
            decided = .fail(error)
        }
        switch decided {
        case .fail(let error):
            try await connection.send(RedisCommand("UNWATCH"))
            return .failed(error)
        case .again:
            try await connection.send(RedisCommand("UNWATCH"))
            return .conflict
        case .write(var writes, let versionKey, let epochKey, var payload, let value):
            if payload.generation == nil { payload.generation = answered.generation?.rawValue }
            if let epochKey, let epoch = payload.epoch { writes.append(RedisCommand("SET", epochKey, epoch)) }
            if let idempotency = guarantees.idempotency, let recordKey {
                let seconds = IdempotentRequest.retention.components.seconds
                writes.append(RedisCommand("SET", recordKey, idempotency.record(body: try Self.json(value)), "EX", Int(seconds)))
            }
            guard try await commit(connection, versionKey: versionKey, writes: writes, payload: payload, guarantees: guarantees) else {
                return .conflict
            }
            return .committed(value)
        }
    }

    /// The stored answer of the request that made `record`, or a refusal when that was another request.
    private static func replay<Value: Decodable>(_ record: RedisValue, for idempotency: IdempotentRequest) throws -> Attempt<Value> {
        guard let text = record.string else {
            try record.throwingServerError()
            throw ContentQueueError(.corruptState, "an idempotency record is not a string")
        }
        guard let body = idempotency.replay(from: text) else {
            return .failed(ContentQueueError(.idempotencyKeyReused, "this Idempotency-Key was used for another request"))
        }
        guard let value = try? JSONDecoder().decode(Value.self, from: Data(body.utf8)) else {
            throw ContentQueueError(.corruptState, "an idempotency record does not hold an answer")
        }
        return .replayed(value)
    }

    /// MULTI, `writes`, SET `versionKey` to the payload's version, PUBLISH (or SPUBLISH) the payload, EXEC, in
    /// one round trip: the write and its event commit together or not at all; then, on the same
    /// connection (WAIT blocks the connection it is sent on, and only it), WAIT for the replicas.
    /// Returns false when a WATCHed key changed (nothing was written). Throws
    /// ``ContentQueueError/Code/replicationTimeout`` for a write that committed but that too few
    /// replicas confirmed in time.
    static func commit(
        _ connection: some RedisPipeline,
        versionKey: String,
        writes: [RedisCommand],
        payload: InvalidationPayload,
        guarantees: Guarantees
    ) async throws -> Bool {
        var commands = [RedisCommand("MULTI")] + writes
        commands.append(RedisCommand("SET", versionKey, payload.version))
        commands.append(guarantees.channels.publish(payload))
        commands.append(RedisCommand("EXEC"))
        let waits = guarantees.replicas > 0
        if waits { commands.append(wait(guarantees)) }
        var replies = try await connection.pipeline(commands)
        let waited = waits ? replies.popLast() : nil
        switch replies.last {
        case .null?:
            return false
        case .array(let results)?:
            if let failure = results.first(where: { $0.errorMessage != nil }) {
                // Unreachable while the WATCHed type checks hold; reported, never hidden.
                throw RedisError(.server, "a command inside EXEC failed: \(failure.errorMessage ?? "")")
            }
        case .error(let message)?:
            // EXECABORT: a queued command was refused (out of memory, ACL, LOADING, READONLY); nothing ran.
            let cause = replies.dropLast().compactMap(\.errorMessage).first ?? message
            throw RedisError.serverReply(cause)
        default:
            throw RedisError(.unexpectedReply, "EXEC answered \(String(describing: replies.last))")
        }
        if let waited { try checkWait(waited, guarantees) }
        return true
    }

    /// A replay is acknowledged on the same terms as the write it repeats: the first answer may
    /// have been `replication_timeout`. WAIT only counts what this connection wrote, so it
    /// renews the record's retention (a write, replicated after the original one) and waits for that.
    private static func confirmReplicated(_ connection: some RedisPipeline, recordKey: String, guarantees: Guarantees) async throws {
        guard guarantees.replicas > 0 else { return }
        let seconds = Int(IdempotentRequest.retention.components.seconds)
        let replies = try await connection.pipeline([RedisCommand("EXPIRE", recordKey, seconds), wait(guarantees)])
        try replies[0].throwingServerError()
        try checkWait(replies[1], guarantees)
    }

    static func wait(_ guarantees: Guarantees) -> RedisCommand {
        let timeout = guarantees.replicationTimeout.components
        let milliseconds = timeout.seconds * 1000 + timeout.attoseconds / 1_000_000_000_000_000
        return RedisCommand("WAIT", guarantees.replicas, Int(max(1, milliseconds)))
    }

    static func checkWait(_ reply: RedisValue, _ guarantees: Guarantees) throws {
        try reply.throwingServerError()
        let confirmed = reply.int ?? 0
        guard confirmed >= guarantees.replicas else {
            throw ContentQueueError(
                .replicationTimeout,
                "committed, but \(confirmed) of \(guarantees.replicas) replicas confirmed it within \(guarantees.replicationTimeout)"
            )
        }
    }

    /// The canonical JSON of an answer: what an idempotency record stores and a replay returns.
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
