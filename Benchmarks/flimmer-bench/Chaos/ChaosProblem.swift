/// Something a chaos run could not do or found wrong, with the line the report prints.
struct ChaosProblem: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
