import RedisClient

extension ContentQueueStore {
    /// `limit` pending items from position `offset` (0 is the oldest), oldest first, read
    /// consistently with the family version reported.
    ///
    /// Positions move when items ahead are decided, so a page read after a decision may start one
    /// item later than the previous page ended; a client refetches on the invalidation anyway.
    public func queuePage(family: FamilyID, offset: Int, limit: Int) async throws -> ContentPage {
        precondition(offset >= 0 && limit >= 1, "offset must be at least 0 and limit at least 1")
        let keys = ContentKeys(family: family)
        let read = try await Self.readItems(route(family), keys: keys, list: keys.queue, range: (offset, offset + limit - 1)).get()
        let next = offset + limit < read.length ? offset + limit : nil
        return ContentPage(snapshot: read.snapshot, total: read.length, next: next)
    }

    /// `limit` decided items of `status` (approved or rejected), newest decision first: the
    /// newest ones, or those decided before position `before` (a previous page's `next`).
    ///
    /// The decided lists only grow at their end, so a position names the same decision for good:
    /// pages do not shift when new decisions come in.
    public func history(family: FamilyID, status: ContentStatus, before: Int?, limit: Int) async throws -> ContentPage {
        precondition(status != .pending, "the history holds decided items only")
        precondition(limit >= 1 && (before ?? 0) >= 0, "limit must be at least 1 and before at least 0")
        let keys = ContentKeys(family: family)
        let list = keys.list(for: status)
        // The page's first position, when it is known before the read (after a cursor).
        let first = before.map { max(0, $0 - limit) }
        let range: (start: Int, stop: Int)
        if let before, let first {
            // LRANGE 0 -1 would be the whole list: an empty page is asked for as an empty range.
            range = before == 0 ? (1, 0) : (first, before - 1)
        } else {
            range = (-limit, -1)
        }
        let read = try await Self.readItems(route(family), keys: keys, list: list, range: range).get()
        let start = first ?? max(0, read.length - limit)
        var snapshot = read.snapshot
        snapshot.items.reverse()
        return ContentPage(snapshot: snapshot, total: read.length, next: start > 0 && !snapshot.items.isEmpty ? start : nil)
    }
}
