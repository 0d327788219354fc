import FlimmerTestSupport

/// Collects what an async sequence yields, in a background task, so a test can wait for an
/// element with a deadline instead of hanging on `next()`.
actor Recorder<Element: Sendable> {
    private(set) var elements: [Element] = []
    private(set) var failure: (any Error)?
    private(set) var ended = false
    private var task: Task<Void, Never>?

    static func start<S: AsyncSequence & Sendable>(_ sequence: S) async -> Recorder<Element> where S.Element == Element {
        let recorder = Recorder()
        await recorder.begin(sequence)
        return recorder
    }

    private func begin<S: AsyncSequence & Sendable>(_ sequence: S) where S.Element == Element {
        task = Task {
            do {
                for try await element in sequence { self.append(element) }
            } catch {
                self.fail(error)
            }
            self.end()
        }
    }

    private func append(_ element: Element) { elements.append(element) }
    private func fail(_ error: any Error) { failure = error }
    private func end() { ended = true }

    /// Stops consuming (which closes the sequence's connection, for an EventStream).
    func stop() { task?.cancel() }

    /// Waits until some element at or after `from` satisfies `predicate`; returns its index.
    @discardableResult
    func waitFor(
        _ what: String,
        from: Int = 0,
        timeout: Duration = .seconds(10),
        _ predicate: @Sendable (Element) -> Bool
    ) async throws -> Int {
        try await eventuallyValue("\(what); got \(elements)", timeout: timeout, poll: .milliseconds(5)) {
            if from < elements.count, let index = elements[from...].firstIndex(where: predicate) { return index }
            if ended { throw TestFailure("the sequence ended (\(failure.map { "\($0)" } ?? "no error")) while waiting for \(what); got \(elements)") }
            return nil
        }
    }
}
