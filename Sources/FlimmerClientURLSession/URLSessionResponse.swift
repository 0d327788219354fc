import FlimmerClient
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One request's response as the delegate delivers it: the head once, then chunks, then the
/// end. A reader waits for the head and then takes the chunks one at a time.
///
/// The delegate may run ahead of the reader by `readAhead` bytes; past that the task is
/// suspended, and resumed when the reader has brought the backlog down to half of it, where
/// suspending pauses a transfer (`pausesBySuspending`).
final class URLSessionResponse: @unchecked Sendable {
    #if canImport(Darwin)
    static let pausesBySuspending = true
    #else
    // Foundation on Linux (6.3) pauses a suspended transfer but restarts it on `resume()` as
    // a new request on a new connection (seen here: the first connection reset, the second
    // refused), which would corrupt a body. Its tasks are never suspended: a body is read as
    // fast as the server sends it.
    static let pausesBySuspending = false
    #endif

    private let lock = NSLock()
    private let task: URLSessionDataTask
    private let readAhead: Int
    private var head: Result<HTTPURLResponse, any Error>?
    private var headWaiter: CheckedContinuation<HTTPURLResponse, any Error>?
    private var chunks: [Data] = []
    private var firstChunk = 0
    private var buffered = 0
    private var suspended = false
    private var end: Result<Void, any Error>?
    private var reader: CheckedContinuation<[UInt8]?, any Error>?
    private var deadline: Task<Void, Never>?
    private var timedOut = false

    init(task: URLSessionDataTask, readAhead: Int) {
        self.task = task
        self.readAhead = readAhead
    }

    /// Fails the exchange with `.timedOut` unless it has ended within `timeout`.
    func setDeadline(after timeout: Duration) {
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil, let self else { return }
            let running = lock.withLock {
                guard end == nil else { return false }
                timedOut = true
                return true
            }
            if running { task.cancel() }
        }
        lock.withLock { deadline = timer }
    }

    // MARK: The delegate's side

    func received(head response: URLResponse) {
        let result: Result<HTTPURLResponse, any Error> =
            (response as? HTTPURLResponse).map { .success($0) }
            ?? .failure(HTTPTransportError(.connectionFailed, underlying: "not an HTTP response"))
        let waiter = lock.withLock {
            guard head == nil else { return nil as CheckedContinuation<HTTPURLResponse, any Error>? }
            head = result
            defer { headWaiter = nil }
            return headWaiter
        }
        waiter?.resume(with: result)
    }

    func received(data: Data) {
        guard !data.isEmpty else { return }
        takeHeadFromTask()
        let waiting: CheckedContinuation<[UInt8]?, any Error>? = lock.withLock {
            if let reader {
                self.reader = nil
                return reader
            }
            chunks.append(data)
            buffered += data.count
            if buffered > readAhead, !suspended, Self.pausesBySuspending {
                // Under the lock, so that suspends and resumes reach the task in the order
                // they were decided: a resume overtaken by its suspend would stall the body.
                suspended = true
                task.suspend()
            }
            return nil
        }
        waiting?.resume(returning: Array(data))
    }

    func completed(error: (any Error)?) {
        takeHeadFromTask()
        let (headWaiter, head, reader, timer, failure) = lock.withLock {
            let failure: (any Error)? = error.map { error in
                if timedOut || (error as? URLError)?.code == .timedOut { return HTTPTransportError(.timedOut) }
                if (error as? URLError)?.code == .cancelled { return CancellationError() }
                return HTTPTransportError(.connectionFailed, underlying: "\(error)")
            }
            end = failure.map { .failure($0) } ?? .success(())
            let head = self.head ?? .failure(failure ?? HTTPTransportError(.connectionFailed, underlying: "no response"))
            self.head = head
            defer { (self.headWaiter, self.reader, deadline) = (nil, nil, nil) }
            // A reader waits only when every chunk was taken: the end is what it gets.
            return (self.headWaiter, head, self.reader, deadline, failure)
        }
        timer?.cancel()
        headWaiter?.resume(with: head)
        if let reader {
            if let failure { reader.resume(throwing: failure) } else { reader.resume(returning: nil) }
        }
    }

    // The head comes with the delegate's `didReceive response`; should an SDK's signature of it
    // ever not match ours, the task still has the response by its first data or its end.
    private func takeHeadFromTask() {
        guard lock.withLock({ head == nil }), let response = task.response else { return }
        received(head: response)
    }

    // MARK: The reader's side

    /// The response head, once it has arrived.
    func head() async throws -> HTTPURLResponse {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready = lock.withLock { () -> Result<HTTPURLResponse, any Error>? in
                    if let head { return head }
                    headWaiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            task.cancel()
        }
    }

    /// The next chunk of the body, or nil at its end.
    func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready = lock.withLock { () -> Result<[UInt8]?, any Error>? in
                    if firstChunk < chunks.count {
                        let chunk = chunks[firstChunk]
                        firstChunk += 1
                        buffered -= chunk.count
                        if firstChunk == chunks.count { (chunks, firstChunk) = ([], 0) }
                        if suspended, buffered <= readAhead / 2 {
                            suspended = false
                            task.resume()
                        }
                        return .success(Array(chunk))
                    }
                    switch end {
                    case .success: return .success(nil)
                    case .failure(let error): return .failure(error)
                    case nil:
                        reader = continuation
                        return nil
                    }
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            task.cancel()
        }
    }

    /// The reader's hold on the response: when the body is dropped unread, the task ends.
    final class BodyHandle: Sendable {
        private let response: URLSessionResponse

        init(_ response: URLSessionResponse) { self.response = response }

        func next() async throws -> [UInt8]? { try await response.next() }

        deinit { response.task.cancel() }
    }
}
