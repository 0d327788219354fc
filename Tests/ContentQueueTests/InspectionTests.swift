import ContentQueue
import FlimmerTestSupport
import RedisClient
import Testing

@Suite("Inspection")
struct InspectionTests {
    @Test func showsEveryListAndItemWithoutWriting() async throws {
        try await withTestStore { store, redis in
            let family = TestEnvironment.uniqueFamily()
            let empty = try await store.inspect(family: family)
            #expect(empty.epoch == nil)
            #expect(empty.version == 0)
            #expect(empty.versions.isEmpty)
            #expect(empty.pending.isEmpty && empty.approved.isEmpty && empty.rejected.isEmpty)
            // Reading must not have created anything (no epoch made on the way).
            #expect(try await RedisSnapshot.take(redis, family: family).entries.isEmpty)

            let child = UserID("kid")!
            let parent = UserID("mom")!
            let a = try await store.upload(family: family, child: child, draft: ContentDraft(title: "a")).item.id
            let b = try await store.upload(family: family, child: child, draft: ContentDraft(title: "b")).item.id
            let c = try await store.upload(family: family, child: child, draft: ContentDraft(title: "c")).item.id
            _ = try await store.decide(family: family, id: ContentID(a)!, parent: parent, decision: .approve)
            _ = try await store.decide(family: family, id: ContentID(b)!, parent: parent, decision: .reject(reason: "no"))
            // A child called "version": its upload list contentChild:{F}:version looks like a key's version but is not one.
            let d = try await store.upload(family: family, child: UserID("version")!, draft: ContentDraft(title: "d")).item.id
            for _ in 0..<2 { _ = try await store.invalidate(family: family, key: QueryKey("profile")!, reason: nil) }
            let before = try await RedisSnapshot.take(redis, family: family)
            let inspection = try await store.inspect(family: family)
            #expect(inspection.version == 6)
            #expect(inspection.versions == ["contentQueue": 6, "profile": 2])
            #expect(inspection.pending.map(\.id) == [c, d])
            #expect(inspection.epoch != nil)
            #expect(inspection.approved.map(\.id) == [a])
            #expect(inspection.rejected.map(\.id) == [b])
            #expect(inspection.rejected.first?.rejectReason == "no")
            #expect(inspection.missing.isEmpty)
            #expect(try await RedisSnapshot.take(redis, family: family) == before)
        }
    }
}
