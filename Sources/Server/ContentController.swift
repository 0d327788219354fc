import ContentQueue
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/api/content/...`: upload, queue, a child's own items, item, approve, reject.
struct ContentController: Sendable {
    let store: ContentQueueStore
    let auth: Authenticator
    let bodies: RequestBodyReader
    let mutations: MutationRequests

    func register(on router: Router<some RequestContext>) {
        router.post("/api/content/upload") { request, _ in try await upload(request) }
        router.get("/api/content/queue") { request, _ in try await queue(request) }
        router.get("/api/content/mine") { request, _ in try await mine(request) }
        router.get("/api/content/history") { request, _ in try await history(request) }
        router.get("/api/content/{id}") { request, context in try await item(request, id: context.parameters.get("id")) }
        router.post("/api/content/{id}/approve") { request, context in try await approve(request, id: context.parameters.get("id")) }
        router.post("/api/content/{id}/reject") { request, context in try await reject(request, id: context.parameters.get("id")) }
    }

    private struct ChildItemsBody: Encodable {
        let family: String
        let epoch: String
        let version: Int
        let total: Int
        let items: [ContentItem]
    }

    private struct ItemBody: Encodable {
        let item: ContentItem
    }

    func upload(_ request: Request) async throws -> Response {
        let principal = try await auth.principal(request, roles: [.child])
        let body = try await bodies.read(request)
        let upload = try UploadRequest(body.object)
        let idempotency = try mutations.idempotency(request, user: principal.user, route: "POST /api/content/upload", body: body.bytes)
        return try await mutations.answer {
            try await store.upload(family: principal.family, child: principal.user, draft: upload.draft, idempotency: idempotency)
        } body: {
            $0
        }
    }

    /// The items shown by `GET /api/content/mine` unless `?limit=` asks for another number.
    static let defaultChildLimit = 50
    /// The most items one `GET /api/content/mine` returns.
    static let maxChildLimit = 200

    /// `GET /api/content/mine?limit=N`: the calling child's newest uploads, newest first, with
    /// their statuses. Every mutation of the family advances the version, so the queue's ETag
    /// rule holds here too.
    func mine(_ request: Request) async throws -> Response {
        let principal = try await auth.principal(request, roles: [.child])
        let limit = try Self.limit(request.uri.queryParameters["limit"].map(String.init))
        let read = try await store.childItems(family: principal.family, child: principal.user, limit: limit)
        let snapshot = read.snapshot
        return try Self.conditional(request, snapshot) {
            ChildItemsBody(
                family: snapshot.family.rawValue,
                epoch: snapshot.epoch,
                version: snapshot.version,
                total: read.total,
                items: snapshot.items
            )
        }
    }

    /// `?limit=`: 1 to ``maxChildLimit`` in plain decimal digits; absent means ``defaultChildLimit``.
    static func limit(_ parameter: String?) throws -> Int {
        guard let parameter else { return defaultChildLimit }
        guard let limit = decimal(parameter, maxDigits: 3), (1...maxChildLimit).contains(limit)
        else { throw APIError.invalidField("limit", "must be a whole number from 1 to \(maxChildLimit)") }
        return limit
    }

    /// `text` as a number if it is 1 to `maxDigits` ASCII decimal digits and nothing else (no
    /// sign, no space: `Int(_:)` alone would take `+5`).
    static func decimal(_ text: String, maxDigits: Int) -> Int? {
        guard (1...maxDigits).contains(text.utf8.count),
            text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        return Int(text)
    }

    /// A JSON body tagged with the snapshot's `"<epoch>-<generation>-<version>"` ETag, or 304
    /// when the request's `If-None-Match` already names it (the body is then never built). A tag
    /// of another generation never matches: that node may not hold the state it named.
    static func conditional(_ request: Request, _ snapshot: QueueSnapshot, body: () -> some Encodable) throws -> Response {
        let etag = "\"\(snapshot.familyVersion.tag)\""
        var headers: HTTPFields = [.eTag: etag]
        headers[.cacheControl] = "no-cache"
        if let condition = request.headers[.ifNoneMatch], matches(condition, etag: etag) {
            return Response(status: .notModified, headers: headers)
        }
        return try JSONResponse.make(body(), headers: headers)
    }

    func item(_ request: Request, id: String?) async throws -> Response {
        let principal = try await auth.principal(request, roles: [.parent, .child])
        let id = try Self.contentID(id)
        guard let item = try await store.item(family: principal.family, id: id),
            principal.role == .parent || item.childId == principal.user.rawValue
        else {
            // Another child's item answers like a missing one: no id's existence leaks.
            throw APIError.notFound("no such content")
        }
        return try JSONResponse.make(ItemBody(item: item))
    }

    func approve(_ request: Request, id: String?) async throws -> Response {
        let principal = try await auth.principal(request, roles: [.parent])
        let id = try Self.contentID(id)
        let body = try await bodies.read(request, allowEmpty: true)
        // Approve takes no body; anything sent is still checked, so junk does not pass silently.
        try FieldRules.rejectUnknown(body.object, allowed: [])
        return try await decide(request, principal, id: id, decision: .approve, route: "POST /api/content/{id}/approve", body: body.bytes)
    }

    func reject(_ request: Request, id: String?) async throws -> Response {
        let principal = try await auth.principal(request, roles: [.parent])
        let id = try Self.contentID(id)
        let body = try await bodies.read(request, allowEmpty: true)
        let reason = try RejectRequest(body.object).reason
        return try await decide(
            request,
            principal,
            id: id,
            decision: .reject(reason: reason),
            route: "POST /api/content/{id}/reject",
            body: body.bytes
        )
    }

    private func decide(
        _ request: Request,
        _ principal: Principal,
        id: ContentID,
        decision: Decision,
        route: String,
        body: ByteBuffer
    ) async throws -> Response {
        let idempotency = try mutations.idempotency(request, user: principal.user, route: route, body: body)
        return try await mutations.answer {
            try await store.decide(family: principal.family, id: id, parent: principal.user, decision: decision, idempotency: idempotency)
        } body: {
            $0
        }
    }

    /// Path ids are checked against the server's own format before any key is built from them.
    static func contentID(_ text: String?) throws -> ContentID {
        guard let text, let id = ContentID(text) else { throw APIError.notFound("no such content") }
        return id
    }

    /// `If-None-Match`: a list of entity tags, weak or strong, or `*`.
    static func matches(_ header: String, etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingCharacters(in: .whitespacesAndNewlines)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = String(tag.dropFirst(2)) }
            return tag == etag
        }
    }
}
