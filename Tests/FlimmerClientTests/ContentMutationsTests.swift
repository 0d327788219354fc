import FlimmerClient
import FlimmerTestSupport
import Foundation
import Server
import Testing

/// `ContentMutations` against a live gateway, directly and through a proxy that spoils the first
/// exchange: one Idempotency-Key per mutation, retries with it, each mutation written once.
@Suite("ContentMutations: Idempotency-Key and retries")
struct ContentMutationsTests {
    private struct Answer: Decodable {
        struct Item: Decodable {
            var id: String
            var status: String
        }
        var item: Item
        var version: Int
    }

    private static let quick = MutationRetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(20), maxDelay: .milliseconds(200))

    private static func version(_ server: TestServer, _ family: TestFamily) async throws -> Int {
        try #require(try await server.request(.GET, "/api/content/queue", token: family.parent).json()["version"] as? Int)
    }

    @Test(arguments: ClientTransport.allCases) func anUploadAndAnApproveAreAnsweredAndTheSameKeyTwiceIsWrittenOnce(via: ClientTransport) async throws
    {
        try await TestServer.run { server in
            let family = try await server.family()
            let child = ContentMutations(baseURL: server.baseURL, token: family.child, transport: via.transport)
            let uploaded = try await child.upload(UploadDraft(title: "Kite", description: "windy", durationSeconds: 30))
            #expect(uploaded.status == 200 && !uploaded.replayed && uploaded.attempts == 1)
            let item = try uploaded.decode(Answer.self).item
            #expect(item.status == "pending")
            let parent = ContentMutations(baseURL: server.baseURL, token: family.parent, transport: via.transport)
            let key = ContentMutations.newKey()
            let first = try await parent.approve(item.id, idempotencyKey: key)
            let again = try await parent.approve(item.id, idempotencyKey: key)
            #expect(!first.replayed && again.replayed)
            #expect(try first.decode(Answer.self).version == 2)
            #expect(try again.decode(Answer.self).version == 2)
            #expect(try await Self.version(server, family) == 2)
        }
    }

    @Test(arguments: ClientTransport.allCases) func anApproveWhoseAnswerWasLostIsRetriedWithItsKeyAndWrittenOnce(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let upload = try await server.upload(token: family.child)
            let proxy = try LossyProxy(upstreamPort: server.port, mode: .loseFirstAnswer)
            defer { proxy.stop() }
            let parent = ContentMutations(
                baseURL: "http://127.0.0.1:\(proxy.port)",
                token: family.parent,
                retry: Self.quick,
                transport: via.transport
            )
            let result = try await parent.approve(upload.id)
            #expect(result.attempts == 2)
            #expect(result.replayed, "the second attempt was answered from the first one's record")
            #expect(proxy.idempotencyKeys.count == 2 && Set(proxy.idempotencyKeys).count == 1)
            #expect(try await Self.version(server, family) == upload.version + 1)
            let approved = try await server.request(.GET, "/api/content/history?status=approved", token: family.parent).json()
            #expect((approved["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [upload.id])
        }
    }

    @Test(arguments: ClientTransport.allCases) func a503IsRetriedAfterItsRetryAfterWithTheSameKey(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let proxy = try LossyProxy(upstreamPort: server.port, mode: .refuseFirst503)
            defer { proxy.stop() }
            let child = ContentMutations(baseURL: "http://127.0.0.1:\(proxy.port)", token: family.child, retry: Self.quick, transport: via.transport)
            let result = try await child.upload(UploadDraft(title: "Second try"))
            #expect(result.attempts == 2 && !result.replayed)
            #expect(proxy.idempotencyKeys.count == 2 && Set(proxy.idempotencyKeys).count == 1)
            #expect(try await Self.version(server, family) == 1)
        }
    }

    @Test(arguments: ClientTransport.allCases) func aRefusalIsNotRetriedAndCarriesTheServersError(via: ClientTransport) async throws {
        try await TestServer.run { server in
            let family = try await server.family()
            let parent = ContentMutations(baseURL: server.baseURL, token: family.parent, retry: Self.quick, transport: via.transport)
            let error = await #expect(throws: ContentMutationError.self) {
                try await parent.approve(String(repeating: "a", count: 32))
            }
            #expect(error?.code == .refused && error?.status == 404 && error?.attempts == 1)
            #expect(error?.serverError?.code == "not_found")
            let child = ContentMutations(baseURL: server.baseURL, token: family.child, retry: Self.quick, transport: via.transport)
            let blank = await #expect(throws: ContentMutationError.self) { try await child.upload(UploadDraft(title: "  ")) }
            #expect(blank?.status == 400 && blank?.serverError?.code == "invalid_field")
            let invalid = await #expect(throws: ContentMutationError.self) { try await parent.reject("../queue") }
            #expect(invalid?.code == .invalidID && invalid?.attempts == 0)
            #expect(try await Self.version(server, family) == 0)
        }
    }

    @Test(arguments: ClientTransport.allCases) func aGatewayThatNeverAnswersEndsInUnansweredAfterTheAttempts(via: ClientTransport) async throws {
        let silent = try SilentListener()
        silent.stop()  // a closed port: every connect is refused
        // AsyncHTTPClient keeps trying a refused connect until the request's deadline: a short one.
        let mutations = ContentMutations(
            baseURL: "http://127.0.0.1:\(silent.port)",
            tokenProvider: { "t" },
            retry: Self.quick,
            transport: via.transport,
            requestTimeout: .milliseconds(300)
        )
        let error = await #expect(throws: ContentMutationError.self) { try await mutations.upload(UploadDraft(title: "lost")) }
        #expect(error?.code == .unanswered && error?.attempts == 3)
    }
}
