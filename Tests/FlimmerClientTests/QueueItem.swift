/// The parts of a queue item the client tests look at.
struct QueueItem: Decodable, Sendable, Equatable {
    var id: String
    var title: String
    var status: String
}
