import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The session's delegate: hands each task's head, data and end to its `URLSessionResponse`.
/// Its callbacks run on the session's serial delegate queue.
final class URLSessionTransportDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var responses: [Int: URLSessionResponse] = [:]

    func register(_ response: URLSessionResponse, for task: URLSessionTask) {
        lock.withLock { responses[task.taskIdentifier] = response }
    }

    private func response(for task: URLSessionTask) -> URLSessionResponse? {
        lock.withLock { responses[task.taskIdentifier] }
    }

    func urlSession(
        _ session: URLSession,
        dataTask: URLSessionDataTask,
        didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        self.response(for: dataTask)?.received(head: response)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        self.response(for: dataTask)?.received(data: data)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let response = lock.withLock { responses.removeValue(forKey: task.taskIdentifier) }
        response?.completed(error: error)
    }
}
