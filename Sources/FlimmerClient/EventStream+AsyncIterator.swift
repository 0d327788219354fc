extension EventStream {
    /// Iterates an `EventStream`: one connection (with its reconnects) per iterator.
    ///
    /// The connection is read no faster than elements are taken: the reader hands over the
    /// events of one read only once those of the read before are all taken, so it is at most
    /// one read ahead of the consumer. A consumer that stops taking elements therefore stops
    /// the reading (the idle timeout does not count that time), and the server sees a client
    /// that fell behind, as it would be.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// What `next()` throws: an `EventStreamError` of code `.rejected`, or the token provider's error.
        public typealias Failure = any Error

        var base: AsyncThrowingStream<EventStreamElement, any Error>.Iterator
        let demand: ElementDemand

        /// The next element, or nil once the sequence ended.
        public mutating func next() async throws -> EventStreamElement? {
            let element = try await base.next()
            if element != nil { demand.took() }
            return element
        }

        /// The next element, staying on the caller's actor while waiting.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(any Error) -> EventStreamElement? {
            let element = try await base.next(isolation: actor)
            if element != nil { demand.took() }
            return element
        }
    }
}
