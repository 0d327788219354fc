/// One acknowledged (2xx) mutation: what it did, the version its answer carried, when it was
/// sent and answered (seconds since the start) and through which gateway.
struct Ack: Sendable, Hashable {
    var family: String
    var id: String
    /// `pending` for an upload; `approved` or `rejected` for a decision.
    var status: String
    var version: Int?
    /// When the logical write's first attempt was sent.
    var sent: Double
    var answered: Double
    var gateway: String
    /// The generation of the master that committed it, as its answer says (nil without one).
    var generation: String? = nil
    /// Answered from the record of an earlier attempt with the same `Idempotency-Key`
    /// (`Idempotent-Replayed: true`).
    var replayed = false
    /// Attempts it took (1: no retry).
    var attempts = 1
    /// When the attempt that was acknowledged was sent; `sent` for a write that needed no retry.
    var attemptSent: Double? = nil
    /// The upload's title (unique per logical write); nil for a decision.
    var title: String? = nil

    /// When the acknowledged attempt was sent.
    var lastAttemptSent: Double { attemptSent ?? sent }
}
