/// A response body as an `HTTPTransport` reads it: chunks in order, each read when asked for.
///
/// It is read once. The transport reads ahead of the consumer by a bounded amount only, so a
/// consumer that stops asking stops the reading and the server sees a client that fell behind.
public struct HTTPTransportBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = any Error

    private let read: @Sendable () async throws -> [UInt8]?

    /// A body whose chunks `read` returns, one per call, then nil at its end. `read` is called
    /// by one task at a time and not again after it returned nil or threw.
    public init(read: @escaping @Sendable () async throws -> [UInt8]?) {
        self.read = read
    }

    /// Reads the chunks.
    public struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate let read: @Sendable () async throws -> [UInt8]?
        fileprivate var finished = false

        public mutating func next() async throws -> [UInt8]? {
            guard !finished else { return nil }
            guard let chunk = try await read() else {
                finished = true
                return nil
            }
            return chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(read: read) }

    /// The whole body; throws `HTTPTransportError(.bodyTooLarge)` past `limit` bytes.
    public func collect(upTo limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in self {
            guard bytes.count + chunk.count <= limit else { throw HTTPTransportError(.bodyTooLarge) }
            bytes += chunk
        }
        return bytes
    }
}
