/// One acknowledged (2xx) mutation: what it did, the version its answer carried, when it was
/// sent and answered (seconds since the start) and through which gateway.
struct Ack: Sendable, Hashable {
    var family: String
    var id: String
    /// `pending` for an upload; `approved` or `rejected` for a decision.
    var status: String
    var version: Int?
    var sent: Double
    var answered: Double
    var gateway: String
}
