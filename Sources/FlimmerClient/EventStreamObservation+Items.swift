extension EventStreamObservation {
    /// What the observer is told of one read: its comments, and the last event id wherever it
    /// changed, at each event that moved it and, for an `id:` line without data (which no item
    /// shows), at the end of the read. `previousID` and `lastID` are the parser's last event id
    /// before and after the read.
    static func of(_ items: [EventStreamItem], previousID: String, lastID: String) -> [EventStreamObservation] {
        var observations: [EventStreamObservation] = []
        var id = previousID
        for item in items {
            switch item {
            case .comment(let text):
                observations.append(.comment(text))
            case .event(let event) where event.id != id:
                id = event.id
                observations.append(.lastEventID(id))
            case .event, .retry:
                break
            }
        }
        if lastID != id { observations.append(.lastEventID(lastID)) }
        return observations
    }
}
