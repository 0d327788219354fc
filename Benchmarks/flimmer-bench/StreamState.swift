/// What the receiver thread knows about one stream; owned by that thread alone.
struct StreamState {
    enum Phase: UInt8 {
        /// Not started yet (waiting for a connect slot).
        case waiting
        /// Non-blocking connect in progress.
        case connecting
        /// Request sent; the response head (or, for Redis, the subscribe reply) not yet in.
        case awaitingHead
        /// Head accepted; events are counted.
        case streaming
        /// Closed, by us or by the server, or failed.
        case ended
    }

    var fd: Int32 = -1
    /// Which of the run's events this stream's versions are.
    var events = StreamEvents(offset: 1, stride: 1, final: 0)
    var phase = Phase.waiting
    /// The body is `Transfer-Encoding: chunked`.
    var chunked = false
    /// Counted once in the receiver's `settled`: reached the final version, or ended.
    var settled = false
    /// The highest version seen; versions arrive in order on one TCP stream.
    var lastSeq = 0
    /// Distinct versions 1...final seen; missing = final − delivered.
    var delivered = 0
    /// Bytes kept from the previous read (in the receiver's carry pool) so that a marker split
    /// across reads is still found.
    var carryLength = 0
    var chunk = ChunkDecoder()
    /// The response head while it is incomplete.
    var head: [UInt8] = []
    /// The value of the last `id:` line (only when the receiver records ids).
    var lastID: [UInt8] = []
    /// The server ended the stream after it was accepted.
    var closedByServer = false
}
