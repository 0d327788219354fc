import ContentQueue
import Foundation
import Hummingbird

extension ContentController {
    /// A page of the queue or of the history, and the family version it was read at.
    struct PageBody: Encodable {
        let family: String
        let epoch: String
        let version: Int
        /// The history's status; absent for the queue.
        let status: String?
        /// Items in the whole list.
        let total: Int
        /// The `cursor` of the next page; null on the last one.
        let nextCursor: String?
        let items: [ContentItem]

        init(_ page: ContentPage, status: ContentStatus? = nil) {
            family = page.snapshot.family.rawValue
            epoch = page.snapshot.epoch
            version = page.snapshot.version
            self.status = status?.rawValue
            total = page.total
            nextCursor = page.next.map(String.init)
            items = page.snapshot.items
        }

        // `status` is left out for the queue rather than sent as null.
        enum CodingKeys: String, CodingKey {
            case family, epoch, version, status, total, nextCursor, items
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(family, forKey: .family)
            try container.encode(epoch, forKey: .epoch)
            try container.encode(version, forKey: .version)
            try container.encodeIfPresent(status, forKey: .status)
            try container.encode(total, forKey: .total)
            try container.encode(nextCursor, forKey: .nextCursor)
            try container.encode(items, forKey: .items)
        }
    }

    /// `GET /api/content/queue`: the pending items, oldest first; all of them, or with `?limit=`
    /// (1-200) and `?cursor=` (a previous page's `nextCursor`) one page.
    func queue(_ request: Request) async throws -> Response {
        let principal = try await auth.principal(request, roles: [.parent])
        let query = request.uri.queryParameters
        let page: ContentPage
        if query["limit"] == nil, query["cursor"] == nil {
            let snapshot = try await store.queue(family: principal.family)
            page = ContentPage(snapshot: snapshot, total: snapshot.items.count, next: nil)
        } else {
            let limit = try Self.limit(query["limit"].map(String.init))
            let offset = try Self.cursor(query["cursor"].map(String.init)) ?? 0
            page = try await store.queuePage(family: principal.family, offset: offset, limit: limit)
        }
        return try Self.conditional(request, page.snapshot) { PageBody(page) }
    }

    /// `GET /api/content/history?status=approved|rejected`: what the family's parents decided,
    /// newest decision first, `?limit=` (1-200, default 50) at a time, `?cursor=` for the next page.
    func history(_ request: Request) async throws -> Response {
        let principal = try await auth.principal(request, roles: [.parent])
        let query = request.uri.queryParameters
        guard let name = query["status"], let status = ContentStatus(rawValue: String(name)), status != .pending else {
            throw APIError.invalidField("status", "must be approved or rejected")
        }
        let limit = try Self.limit(query["limit"].map(String.init))
        let before = try Self.cursor(query["cursor"].map(String.init))
        let page = try await store.history(family: principal.family, status: status, before: before, limit: limit)
        return try Self.conditional(request, page.snapshot) { PageBody(page, status: status) }
    }

    /// `?cursor=`: a position, as a previous page's `nextCursor` gave it (up to 9 decimal digits).
    static func cursor(_ parameter: String?) throws -> Int? {
        guard let parameter else { return nil }
        guard let position = decimal(parameter, maxDigits: 9) else {
            throw APIError.invalidField("cursor", "must be the nextCursor of a previous page")
        }
        return position
    }
}
