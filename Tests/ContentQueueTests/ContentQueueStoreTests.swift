import ContentQueue
import FlimmerTestSupport
import RedisClient
import Testing

/// Each test uses its own family, so its own keys, and filters published messages by family;
/// each has its own Redis client, shut down when the test ends.
@Suite("ContentQueueStore transactions")
struct ContentQueueStoreTests {
    let family = TestEnvironment.uniqueFamily()
    let child = UserID("kid-1")!
    let parent = UserID("mom")!

    @Test func uploadWritesListHashVersionAndPublishesTogether() async throws {
        try await withTestStore { store, redis in
            let recorder = try await PublishRecorder.start()
            defer { recorder.stop() }
            let result = try await store.upload(
                family: family,
                child: child,
                draft: ContentDraft(title: "Cat video", durationSeconds: 42, videoUrl: "https://v.example/cat.mp4")
            )
            let keys = ContentKeys(family: family)
            #expect(result.version == 1)
            #expect(result.item.status == .pending)
            #expect(try await redis.send(RedisCommand("LRANGE", keys.queue, 0, -1)) == .array([.bulkString(Array(result.item.id.utf8))]))
            let hash = try await redis.send(RedisCommand("HGETALL", keys.item(ContentID(result.item.id)!))).fieldDictionary
            #expect(hash?["title"] == "Cat video")
            #expect(hash?["status"] == "pending")
            #expect(hash?["childId"] == "kid-1")
            #expect(hash?["family"] == family.rawValue)
            #expect(hash?["durationSeconds"] == "42")
            #expect(try await redis.send(RedisCommand("GET", keys.version)).int == 1)
            #expect(try await redis.send(RedisCommand("GET", keys.epoch)).string == result.epoch)

            try await recorder.barrier()
            let payloads = try recorder.payloads(family: family)
            #expect(payloads.count == 1)
            let payload = try #require(payloads.first)
            #expect(payload.key == "contentQueue")
            #expect(payload.version == 1)
            #expect(payload.reason == "uploaded")
            #expect(payload.contentId == result.item.id)
            #expect(payload.epoch == result.epoch)
            #expect(recorder.messages(family: family).first?.channel == "invalidate:contentQueue")
        }
    }

    @Test func everyMutationAdvancesTheVersionByOne() async throws {
        try await withTestStore { store, redis in
            let first = try await store.upload(family: family, child: child, draft: ContentDraft(title: "one"))
            let second = try await store.upload(family: family, child: child, draft: ContentDraft(title: "two"))
            let approved = try await store.decide(family: family, id: ContentID(first.item.id)!, parent: parent, decision: .approve)
            let rejected = try await store.decide(
                family: family,
                id: ContentID(second.item.id)!,
                parent: parent,
                decision: .reject(reason: "too loud")
            )
            #expect([first.version, second.version, approved.version, rejected.version] == [1, 2, 3, 4])
            #expect(approved.item.status == .approved)
            #expect(approved.item.decidedBy == "mom")
            #expect(approved.item.decidedAt != nil)
            #expect(rejected.item.rejectReason == "too loud")
            let keys = ContentKeys(family: family)
            #expect(try await redis.send(RedisCommand("LLEN", keys.queue)) == .integer(0))
            #expect(try await redis.send(RedisCommand("LRANGE", keys.approved, 0, -1)).array?.compactMap(\.string) == [first.item.id])
            #expect(try await redis.send(RedisCommand("LRANGE", keys.rejected, 0, -1)).array?.compactMap(\.string) == [second.item.id])
            let stored = try #require(try await store.item(family: family, id: ContentID(second.item.id)!))
            #expect(stored.status == .rejected)
            #expect(stored.rejectReason == "too loud")
        }
    }

    @Test func queueIsOldestFirstAndMatchesItsVersion() async throws {
        try await withTestStore { store, _ in
            var ids: [String] = []
            for title in ["a", "b", "c"] {
                ids.append(try await store.upload(family: family, child: child, draft: ContentDraft(title: title)).item.id)
            }
            _ = try await store.decide(family: family, id: ContentID(ids[1])!, parent: parent, decision: .approve)
            let snapshot = try await store.queue(family: family)
            #expect(snapshot.items.map(\.id) == [ids[0], ids[2]])
            #expect(snapshot.version == 4)
            #expect(snapshot.items.allSatisfy { $0.status == .pending })
        }
    }

    @Test func aNewFamilyHasVersionZeroAndAStableEpoch() async throws {
        try await withTestStore { store, _ in
            let snapshot = try await store.queue(family: family)
            #expect(snapshot.version == 0)
            #expect(snapshot.items.isEmpty)
            let again = try await store.currentVersion(family: family)
            #expect(again == snapshot.familyVersion)
            #expect(again.generation != nil)
            let upload = try await store.upload(family: family, child: child, draft: ContentDraft(title: "x"))
            #expect(upload.epoch == snapshot.epoch)
        }
    }

    /// A list key the upload writes, for breaking on purpose.
    enum UploadList: CaseIterable, Sendable {
        case queue, childIndex
    }

    @Test(arguments: UploadList.allCases)
    func aFailedTransactionWritesAndPublishesNothing(_ list: UploadList) async throws {
        try await withTestStore { store, redis in
            let keys = ContentKeys(family: family)
            // Someone made a list the upload appends to a string: the transaction must refuse before EXEC.
            try await redis.send(RedisCommand("SET", list == .queue ? keys.queue : keys.child(child), "not a list"))
            let error = try await expectingNoChange(to: family) {
                try await #require(throws: ContentQueueError.self) {
                    try await store.upload(family: family, child: child, draft: ContentDraft(title: "x"))
                }
            }
            #expect(error.code == .corruptState)
            if list == .childIndex {
                let read = try await #require(throws: ContentQueueError.self) {
                    try await store.childItems(family: family, child: child, limit: 10)
                }
                #expect(read.code == .corruptState)
            }
        }
    }

    @Test func anUploadIsIndexedUnderItsChildInTheSameTransaction() async throws {
        try await withTestStore { store, redis in
            let other = UserID("kid-2")!
            let first = try await store.upload(family: family, child: child, draft: ContentDraft(title: "one"))
            let theirs = try await store.upload(family: family, child: other, draft: ContentDraft(title: "theirs"))
            let second = try await store.upload(family: family, child: child, draft: ContentDraft(title: "two"))
            let keys = ContentKeys(family: family)
            #expect(
                try await redis.send(RedisCommand("LRANGE", keys.child(child), 0, -1)).array?.compactMap(\.string) == [first.item.id, second.item.id]
            )
            #expect(try await redis.send(RedisCommand("LRANGE", keys.child(other), 0, -1)).array?.compactMap(\.string) == [theirs.item.id])
        }
    }

    @Test func childItemsAreNewestFirstWithStatusesAndMatchTheirVersion() async throws {
        try await withTestStore { store, _ in
            var ids: [String] = []
            for title in ["a", "b", "c"] {
                ids.append(try await store.upload(family: family, child: child, draft: ContentDraft(title: title)).item.id)
            }
            _ = try await store.upload(family: family, child: UserID("kid-2")!, draft: ContentDraft(title: "not mine"))
            _ = try await store.decide(family: family, id: ContentID(ids[0])!, parent: parent, decision: .approve)
            let decided = try await store.decide(family: family, id: ContentID(ids[1])!, parent: parent, decision: .reject(reason: "no"))

            let all = try await store.childItems(family: family, child: child, limit: 50)
            #expect(all.snapshot.items.map(\.id) == [ids[2], ids[1], ids[0]])
            #expect(all.snapshot.items.map(\.status) == [.pending, .rejected, .approved])
            #expect(all.snapshot.items[1].rejectReason == "no")
            #expect(all.total == 3)
            #expect(all.snapshot.version == decided.version)
            #expect(all.snapshot.epoch == decided.epoch)

            let newest = try await store.childItems(family: family, child: child, limit: 2)
            #expect(newest.snapshot.items.map(\.id) == [ids[2], ids[1]])
            #expect(newest.total == 3)

            let nobody = try await store.childItems(family: family, child: UserID("kid-9")!, limit: 50)
            #expect(nobody.snapshot.items.isEmpty)
            #expect(nobody.total == 0)
            #expect(nobody.snapshot.version == decided.version)
        }
    }

    @Test func decidingAnUnknownItemWritesAndPublishesNothing() async throws {
        try await withTestStore { store, _ in
            _ = try await store.upload(family: family, child: child, draft: ContentDraft(title: "x"))
            let error = try await expectingNoChange(to: family) {
                try await #require(throws: ContentQueueError.self) {
                    try await store.decide(family: family, id: ContentID.random(), parent: parent, decision: .approve)
                }
            }
            #expect(error.code == .notFound)
        }
    }

    /// `contentChild` would put a version counter on `contentChild:{F}:version`, the upload list
    /// of a child called "version"; every name of the layout is refused the same way.
    @Test(arguments: ["contentQueue", "contentApproved", "contentRejected", "contentChild", "content", "epoch"])
    func theQueuesOwnKeyNamesCannotBeInvalidated(name: String) async throws {
        try await withTestStore { store, _ in
            _ = try await store.upload(family: family, child: UserID("version")!, draft: ContentDraft(title: "x"))
            let key = try #require(QueryKey(name))
            #expect(key.isReserved)
            let error = try await expectingNoChange(to: family) {
                try await #require(throws: ContentQueueError.self) {
                    try await store.invalidate(family: family, key: key, reason: nil)
                }
            }
            #expect(error.code == .reservedKey)
            #expect(QueryKey("profile")?.isReserved == false)
        }
    }

    @Test func aDecidedItemCannotBeDecidedAgain() async throws {
        try await withTestStore { store, _ in
            let upload = try await store.upload(family: family, child: child, draft: ContentDraft(title: "x"))
            let id = ContentID(upload.item.id)!
            _ = try await store.decide(family: family, id: id, parent: parent, decision: .reject(reason: nil))
            let error = try await expectingNoChange(to: family) {
                try await #require(throws: ContentQueueError.self) {
                    try await store.decide(family: family, id: id, parent: parent, decision: .approve)
                }
            }
            #expect(error.code == .notPending)
        }
    }

    @Test func ofTwentyConcurrentDecisionsExactlyOneWins() async throws {
        try await withTestStore { store, redis in
            let upload = try await store.upload(family: family, child: child, draft: ContentDraft(title: "race"))
            let id = ContentID(upload.item.id)!
            let recorder = try await PublishRecorder.start()
            defer { recorder.stop() }
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        do {
                            let decision: Decision = index.isMultiple(of: 2) ? .approve : .reject(reason: "no")
                            _ = try await store.decide(family: family, id: id, parent: UserID("parent\(index)")!, decision: decision)
                            return "won"
                        } catch let error as ContentQueueError where error.code == .notPending {
                            return "not_pending"
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == "won" }.count == 1)
            #expect(outcomes.filter { $0 == "not_pending" }.count == 19)
            #expect(try await store.currentVersion(family: family).version == 2)
            try await recorder.barrier()
            #expect(try recorder.payloads(family: family).map(\.version) == [2])
            let keys = ContentKeys(family: family)
            let approvedCount = try await redis.send(RedisCommand("LLEN", keys.approved)).int ?? 0
            let rejectedCount = try await redis.send(RedisCommand("LLEN", keys.rejected)).int ?? 0
            #expect(approvedCount + rejectedCount == 1)
        }
    }

    @Test func concurrentUploadsEachGetTheirOwnVersion() async throws {
        // 40 uploads race for one family's version on 8 leased connections: one wins per round,
        // so the last waits for about 40 rounds. On a starved CI machine that passed the 5 s a
        // caller waits for a connection by default (redis_busy); this test is about versions.
        var configuration = try TestEnvironment.redisConfiguration()
        configuration.poolWaitTimeout = .seconds(60)
        try await withTestStore(configuration: configuration) { store, _ in
            let recorder = try await PublishRecorder.start()
            defer { recorder.stop() }
            let versions = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<40 {
                    group.addTask { try await store.upload(family: family, child: child, draft: ContentDraft(title: "v\(index)")).version }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(versions.sorted() == Array(1...40))
            let snapshot = try await store.queue(family: family)
            #expect(snapshot.version == 40)
            #expect(snapshot.items.count == 40)
            try await recorder.barrier()
            // Redis runs the transactions one at a time, so the events arrive in version order.
            #expect(try recorder.payloads(family: family).map(\.version) == Array(1...40))
        }
    }

    @Test func itemReadIsScopedToTheFamily() async throws {
        try await withTestStore { store, _ in
            let upload = try await store.upload(family: family, child: child, draft: ContentDraft(title: "mine"))
            let other = TestEnvironment.uniqueFamily()
            #expect(try await store.item(family: other, id: ContentID(upload.item.id)!) == nil)
            #expect(try await store.item(family: family, id: ContentID(upload.item.id)!)?.title == "mine")
        }
    }
}
