import ContentQueue
import FlimmerTestSupport
import Foundation
import NIOHTTP1
import Server
import Testing

/// Two families, every role, every route and the stream, under concurrent load: nothing of
/// one family ever reaches the other.
@Suite("Cross-family isolation under load")
struct CrossFamilyTests {
    @Test func nothingOfOneFamilyReachesTheOther() async throws {
        try await TestServer.run { server in
            let a = try await server.family()
            let b = try await server.family()
            // Streams for every role of both families, on the header and on the query parameter.
            let streams: [(TestFamily, SSETestStream)] = [
                (a, try await server.openStream(token: a.parent)),
                (a, try await server.openStream(token: nil, query: "?access_token=\(a.child)")),
                (b, try await server.openStream(token: b.parent)),
                (b, try await server.openStream(token: nil, query: "?access_token=\(b.child)")),
            ]
            defer { for (_, stream) in streams { stream.close() } }
            for (_, stream) in streams { try await stream.waitUntil("the opening id") { $0.lastEventID != nil } }

            // Both families upload and decide concurrently while each tries the other's ids.
            let perFamily = 15
            let leaks = try await withThrowingTaskGroup(of: [String].self) { group in
                for (own, other) in [(a, b), (b, a)] {
                    group.addTask {
                        var problems: [String] = []
                        for index in 0..<perFamily {
                            let upload = try await server.upload(token: own.child, title: "\(own.id.rawValue) \(index)")
                            // The other family, every role, every route that takes an id.
                            let attempts: [(HTTPMethodName, String, String)] = [
                                (.get, "/api/content/\(upload.id)", other.parent),
                                (.get, "/api/content/\(upload.id)", other.child),
                                (.post, "/api/content/\(upload.id)/approve", other.parent),
                                (.post, "/api/content/\(upload.id)/reject", other.parent),
                            ]
                            for (method, path, token) in attempts {
                                let response = try await server.request(method.nio, path, token: token)
                                if response.status != 404 || response.text.contains(own.id.rawValue) {
                                    problems.append("\(method) \(path) as \(other.id) answered \(response.status): \(response.text)")
                                }
                            }
                            if index.isMultiple(of: 3) {
                                let decided = try await server.request(.POST, "/api/content/\(upload.id)/approve", token: own.parent)
                                if decided.status != 200 { problems.append("own approve answered \(decided.status)") }
                            }
                        }
                        return problems
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(leaks.isEmpty, "\(leaks.prefix(5))")

            // Every stream ends at its own family's final version, having seen only its family.
            for family in [a, b] {
                let queue = try await server.request(.GET, "/api/content/queue", token: family.parent)
                let json = try queue.json()
                let finalVersion = try #require(json["version"] as? Int)
                let items = try #require(json["items"] as? [[String: Any]])
                #expect(items.allSatisfy { $0["family"] as? String == family.id.rawValue })
                #expect(!queue.text.contains((family.id == a.id ? b : a).id.rawValue))
                for (owner, stream) in streams where owner.id == family.id {
                    try await stream.waitUntil("\(family.id) at version \(finalVersion)") {
                        $0.lastEventID?.hasSuffix("-\(finalVersion)") == true
                    }
                }
            }
            for (owner, stream) in streams {
                let other = owner.id == a.id ? b : a
                #expect(!stream.rawText.contains(other.id.rawValue))
                #expect(stream.events.allSatisfy { $0.data.contains(#""family":"\#(owner.id.rawValue)""#) })
            }
        }
    }
}

enum HTTPMethodName: String, Sendable, CustomStringConvertible {
    case get = "GET"
    case post = "POST"
    var description: String { rawValue }
    var nio: NIOHTTP1.HTTPMethod { self == .get ? .GET : .POST }
}
