import FlimmerClient

extension ServerSentEvent {
    /// Whether this is the gateway's catch-up `invalidate` to `version`: what a stream that
    /// reconnects behind the family's state gets first.
    public func isCatchUp(to version: Int) -> Bool {
        type == "invalidate" && data.contains(#""reason":"catchup""#) && id.hasSuffix("-\(version)")
    }
}
