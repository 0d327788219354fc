import FlimmerFormats
import Foundation
import Logging

/// The content mutations of the gateway's API: upload, approve, reject.
///
/// Each mutation gets an `Idempotency-Key` of its own and is sent again with that same key when
/// its answer is lost (a network error, a timeout) or the server asks for it (`503`, after its
/// `Retry-After`): the server answers a retry from the record of the first success, so a
/// mutation is written once however often it is sent. The dashboard and the JavaScript client
/// do the same. Other refusals (`400`, `401`, `404`, `409`, …) are not retried: they throw
/// ``ContentMutationError`` with the server's error.
public struct ContentMutations: Sendable {
    let baseURL: String
    let tokenProvider: @Sendable () async throws -> String
    let retry: MutationRetryPolicy
    let transport: any HTTPTransport
    let requestTimeout: Duration
    let logger: Logger

    /// Mutations against the gateway at `baseURL` (`https://sync.example`), with the token
    /// `tokenProvider` gives, asked before every attempt (tokens expire).
    public init(
        baseURL: String,
        tokenProvider: @escaping @Sendable () async throws -> String,
        retry: MutationRetryPolicy = MutationRetryPolicy(),
        transport: any HTTPTransport = AsyncHTTPClientTransport(),
        requestTimeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "flimmer.client.mutations")
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.tokenProvider = tokenProvider
        self.retry = retry
        self.transport = transport
        self.requestTimeout = requestTimeout
        self.logger = logger
    }

    /// Mutations that send `token`.
    public init(
        baseURL: String,
        token: String,
        retry: MutationRetryPolicy = MutationRetryPolicy(),
        transport: any HTTPTransport = AsyncHTTPClientTransport()
    ) {
        self.init(baseURL: baseURL, tokenProvider: { token }, retry: retry, transport: transport)
    }

    /// `POST /api/content/upload` (a child's token): sends a video for approval.
    public func upload(_ draft: UploadDraft, idempotencyKey: String = Self.newKey()) async throws -> MutationResult {
        try await send("POST", "/api/content/upload", body: Array(try JSONEncoder().encode(draft)), idempotencyKey: idempotencyKey)
    }

    /// `POST /api/content/{id}/approve` (a parent's token).
    public func approve(_ contentID: String, idempotencyKey: String = Self.newKey()) async throws -> MutationResult {
        try await send("POST", "/api/content/\(try Self.pathSegment(contentID))/approve", body: nil, idempotencyKey: idempotencyKey)
    }

    /// `POST /api/content/{id}/reject` (a parent's token), with the reason the child will see.
    public func reject(_ contentID: String, reason: String? = nil, idempotencyKey: String = Self.newKey()) async throws -> MutationResult {
        let body = try reason.map { Array(try JSONEncoder().encode(["reason": $0])) }
        return try await send("POST", "/api/content/\(try Self.pathSegment(contentID))/reject", body: body, idempotencyKey: idempotencyKey)
    }

    /// Sends one mutation until it is answered, retrying as the type's documentation says.
    public func send(_ method: String, _ path: String, body: [UInt8]?, idempotencyKey: String) async throws -> MutationResult {
        var attempt = 0
        while true {
            attempt += 1
            let wait: Duration
            do {
                let response = try await once(method, path, body: body, idempotencyKey: idempotencyKey)
                if (200..<300).contains(response.status) {
                    return MutationResult(status: response.status, body: response.body, replayed: response.replayed, attempts: attempt)
                }
                let refusal = ContentMutationError(
                    .refused,
                    status: response.status,
                    serverError: ServerError(body: response.body),
                    attempts: attempt
                )
                guard response.status == 503, attempt < retry.maxAttempts else { throw refusal }
                wait = min(response.retryAfter ?? retry.delay(after: attempt), retry.maxDelay)
            } catch let error as ContentMutationError {
                throw error
            } catch {
                // The answer was lost (or the request never left): the same key makes a retry safe.
                guard attempt < retry.maxAttempts else {
                    throw ContentMutationError(.unanswered, attempts: attempt, underlying: "\(error)")
                }
                wait = retry.delay(after: attempt)
                logger.debug("mutation unanswered; retrying with its key", metadata: ["path": "\(path)", "attempt": "\(attempt)"])
            }
            try await Task.sleep(for: wait)
        }
    }

    private struct Answer {
        var status: Int
        var body: [UInt8]
        var replayed: Bool
        var retryAfter: Duration?
    }

    private func once(_ method: String, _ path: String, body: [UInt8]?, idempotencyKey: String) async throws -> Answer {
        var request = HTTPTransportRequest(
            method: method,
            url: baseURL + path,
            headers: [
                ("Authorization", "Bearer \(try await tokenProvider())"),
                ("Idempotency-Key", idempotencyKey),
                ("Accept", "application/json"),
            ],
            timeout: requestTimeout
        )
        if let body {
            request.headers.append(("Content-Type", "application/json"))
            request.body = body
        }
        let response = try await transport.send(request)
        return Answer(
            status: response.status,
            body: try await response.body.collect(upTo: 1024 * 1024),
            replayed: response.header("Idempotent-Replayed") == "true",
            retryAfter: response.header("Retry-After").flatMap(Int.init).map { .seconds($0) }
        )
    }

    /// A new random key: 128 bits, as 32 hex digits.
    public static func newKey() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// Content ids are 32 hex digits; anything else would only build a path the server answers 404.
    static func pathSegment(_ id: String) throws -> String {
        guard HexText.isLowercaseHex(id, digits: 32) else {
            throw ContentMutationError(.invalidID, attempts: 0)
        }
        return id
    }
}
