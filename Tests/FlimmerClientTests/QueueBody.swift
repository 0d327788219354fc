/// The parts of `GET /api/content/queue`'s body the client tests look at.
struct QueueBody: Decodable, Sendable, Equatable {
    var version: Int
    var items: [QueueItem]
}
