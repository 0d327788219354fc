import ContentQueue
import FlimmerTestSupport
import Foundation
import JWTKit
import NIOHTTP1
import RedisClient
import Server
import Testing

/// Every rejection the API makes: its status, its error code, and that Redis did not change
/// and nothing was published.
@Suite("API error paths")
struct ErrorPathTests {
    enum Credential: Sendable {
        case role(Role)
        case none
        case basicScheme
        case otherSecret(Role)
        case expired(Role)
        case algorithmNone(Role)
        case hs512(Role)
    }

    enum Target: Sendable {
        case path(String)
        case pendingItem(String)
        case decidedItem(String)
        case unknownItem(String)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        var method: HTTPMethod = .POST
        let target: Target
        var credential: Credential = .role(.child)
        var body: [UInt8]? = nil
        let status: Int
        let code: String
        var field: String? = nil
        var testDescription: String { name }

        /// Whether the request asks for the event stream, which a live server answers on the
        /// connection's fast path before Hummingbird's router sees it.
        var opensStream: Bool {
            guard method == .GET, case .path(let path) = target else { return false }
            return path.hasPrefix("/api/events")
        }
    }

    static func json(_ text: String) -> [UInt8] { Array(text.utf8) }
    static let upload = Target.path("/api/content/upload")

    static let cases: [Case] = [
        Case(name: "upload without a body", target: upload, status: 400, code: "invalid_json"),
        Case(name: "upload with broken JSON", target: upload, body: json("{\"title\":"), status: 400, code: "invalid_json"),
        Case(name: "upload with a JSON array", target: upload, body: json("[1,2]"), status: 400, code: "invalid_json"),
        Case(
            name: "upload with invalid UTF-8",
            target: upload,
            body: Array("{\"title\":\"".utf8) + [0xFF, 0xFE] + Array("\"}".utf8),
            status: 400,
            code: "invalid_json"
        ),
        Case(name: "upload without title", target: upload, body: json("{}"), status: 400, code: "invalid_field", field: "title"),
        Case(name: "upload with empty title", target: upload, body: json(#"{"title":""}"#), status: 400, code: "invalid_field", field: "title"),
        Case(
            name: "upload with blank title",
            target: upload,
            body: json(#"{"title":"  \n\t "}"#),
            status: 400,
            code: "invalid_field",
            field: "title"
        ),
        Case(
            name: "upload with 201-character title",
            target: upload,
            body: json(#"{"title":"\#(String(repeating: "é", count: 201))"}"#),
            status: 400,
            code: "invalid_field",
            field: "title"
        ),
        Case(name: "upload with numeric title", target: upload, body: json(#"{"title":5}"#), status: 400, code: "invalid_field", field: "title"),
        Case(name: "upload with null title", target: upload, body: json(#"{"title":null}"#), status: 400, code: "invalid_field", field: "title"),
        Case(
            name: "upload with control character in title",
            target: upload,
            body: json(#"{"title":"a\u0007b"}"#),
            status: 400,
            code: "invalid_field",
            field: "title"
        ),
        Case(
            name: "upload with numeric description",
            target: upload,
            body: json(#"{"title":"x","description":5}"#),
            status: 400,
            code: "invalid_field",
            field: "description"
        ),
        Case(
            name: "upload with 2001-character description",
            target: upload,
            body: json(#"{"title":"x","description":"\#(String(repeating: "d", count: 2001))"}"#),
            status: 400,
            code: "invalid_field",
            field: "description"
        ),
        Case(
            name: "upload with negative duration",
            target: upload,
            body: json(#"{"title":"x","durationSeconds":-1}"#),
            status: 400,
            code: "invalid_field",
            field: "durationSeconds"
        ),
        Case(
            name: "upload with absurd duration",
            target: upload,
            body: json(#"{"title":"x","durationSeconds":1e12}"#),
            status: 400,
            code: "invalid_field",
            field: "durationSeconds"
        ),
        Case(
            name: "upload with duration as string",
            target: upload,
            body: json(#"{"title":"x","durationSeconds":"10"}"#),
            status: 400,
            code: "invalid_field",
            field: "durationSeconds"
        ),
        Case(
            name: "upload with duration as boolean",
            target: upload,
            body: json(#"{"title":"x","durationSeconds":true}"#),
            status: 400,
            code: "invalid_field",
            field: "durationSeconds"
        ),
        Case(
            name: "upload with ftp videoUrl",
            target: upload,
            body: json(#"{"title":"x","videoUrl":"ftp://host/v.mp4"}"#),
            status: 400,
            code: "invalid_field",
            field: "videoUrl"
        ),
        Case(
            name: "upload with javascript videoUrl",
            target: upload,
            body: json(#"{"title":"x","videoUrl":"javascript:alert(1)"}"#),
            status: 400,
            code: "invalid_field",
            field: "videoUrl"
        ),
        Case(
            name: "upload with relative videoUrl",
            target: upload,
            body: json(#"{"title":"x","videoUrl":"/v.mp4"}"#),
            status: 400,
            code: "invalid_field",
            field: "videoUrl"
        ),
        Case(
            name: "upload with an unknown field",
            target: upload,
            body: json(#"{"title":"x","status":"approved"}"#),
            status: 400,
            code: "unknown_field",
            field: "status"
        ),
        Case(
            name: "upload over the body limit",
            target: upload,
            body: json(#"{"title":"x","description":"\#(String(repeating: "a", count: 70_000))"}"#),
            status: 413,
            code: "payload_too_large"
        ),
        Case(name: "upload without a token", target: upload, credential: .none, body: json(#"{"title":"x"}"#), status: 401, code: "unauthorized"),
        Case(
            name: "upload with a Basic header",
            target: upload,
            credential: .basicScheme,
            body: json(#"{"title":"x"}"#),
            status: 401,
            code: "unauthorized"
        ),
        Case(
            name: "upload with another secret's token",
            target: upload,
            credential: .otherSecret(.child),
            body: json(#"{"title":"x"}"#),
            status: 401,
            code: "unauthorized"
        ),
        Case(
            name: "upload with an expired token",
            target: upload,
            credential: .expired(.child),
            body: json(#"{"title":"x"}"#),
            status: 401,
            code: "unauthorized"
        ),
        Case(
            name: "upload with an alg none token",
            target: upload,
            credential: .algorithmNone(.child),
            body: json(#"{"title":"x"}"#),
            status: 401,
            code: "unauthorized"
        ),
        Case(
            name: "upload with an HS512 token",
            target: upload,
            credential: .hs512(.child),
            body: json(#"{"title":"x"}"#),
            status: 401,
            code: "unauthorized"
        ),
        Case(name: "upload by a parent", target: upload, credential: .role(.parent), body: json(#"{"title":"x"}"#), status: 403, code: "forbidden"),
        Case(name: "queue read by a child", method: .GET, target: .path("/api/content/queue"), status: 403, code: "forbidden"),
        Case(
            name: "queue read without a token",
            method: .GET,
            target: .path("/api/content/queue"),
            credential: .none,
            status: 401,
            code: "unauthorized"
        ),
        Case(
            name: "own items read by a parent",
            method: .GET,
            target: .path("/api/content/mine"),
            credential: .role(.parent),
            status: 403,
            code: "forbidden"
        ),
        Case(
            name: "own items read without a token",
            method: .GET,
            target: .path("/api/content/mine"),
            credential: .none,
            status: 401,
            code: "unauthorized"
        ),
        Case(
            name: "own items with limit 0",
            method: .GET,
            target: .path("/api/content/mine?limit=0"),
            status: 400,
            code: "invalid_field",
            field: "limit"
        ),
        Case(
            name: "own items with limit 201",
            method: .GET,
            target: .path("/api/content/mine?limit=201"),
            status: 400,
            code: "invalid_field",
            field: "limit"
        ),
        Case(
            name: "own items with a negative limit",
            method: .GET,
            target: .path("/api/content/mine?limit=-5"),
            status: 400,
            code: "invalid_field",
            field: "limit"
        ),
        Case(
            name: "own items with a non-numeric limit",
            method: .GET,
            target: .path("/api/content/mine?limit=ten"),
            status: 400,
            code: "invalid_field",
            field: "limit"
        ),
        Case(
            name: "own items with an empty limit",
            method: .GET,
            target: .path("/api/content/mine?limit="),
            status: 400,
            code: "invalid_field",
            field: "limit"
        ),
        Case(name: "approve by a child", target: .pendingItem("/approve"), status: 403, code: "forbidden"),
        Case(name: "reject by a child", target: .pendingItem("/reject"), status: 403, code: "forbidden"),
        Case(
            name: "approve of a malformed id",
            target: .path("/api/content/not-an-id/approve"),
            credential: .role(.parent),
            status: 404,
            code: "not_found"
        ),
        Case(name: "approve of a wildcard id", target: .path("/api/content/%2A/approve"), credential: .role(.parent), status: 404, code: "not_found"),
        Case(
            name: "approve of a hash-tag id",
            target: .path("/api/content/%7Bx%7D/approve"),
            credential: .role(.parent),
            status: 404,
            code: "not_found"
        ),
        Case(name: "approve of an unknown id", target: .unknownItem("/approve"), credential: .role(.parent), status: 404, code: "not_found"),
        Case(name: "reject of an unknown id", target: .unknownItem("/reject"), credential: .role(.parent), status: 404, code: "not_found"),
        Case(name: "approve of a decided item", target: .decidedItem("/approve"), credential: .role(.parent), status: 409, code: "not_pending"),
        Case(name: "reject of a decided item", target: .decidedItem("/reject"), credential: .role(.parent), status: 409, code: "not_pending"),
        Case(
            name: "approve with a body",
            target: .pendingItem("/approve"),
            credential: .role(.parent),
            body: json(#"{"force":true}"#),
            status: 400,
            code: "unknown_field",
            field: "force"
        ),
        Case(
            name: "reject with a numeric reason",
            target: .pendingItem("/reject"),
            credential: .role(.parent),
            body: json(#"{"reason":5}"#),
            status: 400,
            code: "invalid_field",
            field: "reason"
        ),
        Case(
            name: "reject with an unknown field",
            target: .pendingItem("/reject"),
            credential: .role(.parent),
            body: json(#"{"reason":"x","by":"me"}"#),
            status: 400,
            code: "unknown_field",
            field: "by"
        ),
        Case(
            name: "reject with broken JSON",
            target: .pendingItem("/reject"),
            credential: .role(.parent),
            body: json("{"),
            status: 400,
            code: "invalid_json"
        ),
        Case(
            name: "item read of a malformed id",
            method: .GET,
            target: .path("/api/content/abc"),
            credential: .role(.parent),
            status: 404,
            code: "not_found"
        ),
        Case(name: "item read of an unknown id", method: .GET, target: .unknownItem(""), credential: .role(.parent), status: 404, code: "not_found"),
        Case(name: "an unknown route", method: .GET, target: .path("/api/nothing-here"), credential: .role(.parent), status: 404, code: "not_found"),
        Case(
            name: "events with a token in a bad scheme",
            method: .GET,
            target: .path("/api/events"),
            credential: .basicScheme,
            status: 401,
            code: "unauthorized"
        ),
    ]

    /// The router answers these in-process; the real Redis behind it holds the items the cases
    /// aim at and shows that nothing changed.
    @Test(arguments: cases.filter { !$0.opensStream })
    func rejectedRequestChangesNothing(_ testCase: Case) async throws {
        try await TestRouter.run(redis: .test) { router in try await Self.expectRejected(testCase, by: router) }
    }

    @Test(arguments: cases.filter(\.opensStream))
    func rejectedStreamChangesNothing(_ testCase: Case) async throws {
        try await TestServer.run { server in try await Self.expectRejected(testCase, by: server) }
    }

    /// Sends the case's request after setting up a pending and a decided item, then checks the
    /// error answer, that Redis is unchanged and that nothing was published.
    static func expectRejected(_ testCase: Case, by server: some TestGateway) async throws {
        let family = try await server.family()
        let pending = try await server.upload(token: family.child, title: "pending")
        let decided = try await server.upload(token: family.child, title: "decided")
        #expect(try await server.request(.POST, "/api/content/\(decided.id)/approve", token: family.parent).status == 200)

        let path: String
        switch testCase.target {
        case .path(let value): path = value
        case .pendingItem(let suffix): path = "/api/content/\(pending.id)\(suffix)"
        case .decidedItem(let suffix): path = "/api/content/\(decided.id)\(suffix)"
        case .unknownItem(let suffix): path = "/api/content/\(ContentID.random().rawValue)\(suffix)"
        }
        var headers: [(String, String)] = []
        var token: String?
        switch testCase.credential {
        case .role(let role): token = try await family.token(user: "user1", role: role)
        case .none: token = nil
        case .basicScheme: headers.append(("Authorization", "Basic dXNlcjpwYXNz"))
        case .otherSecret(let role): token = try await Self.foreignToken(family: family.id, role: role)
        case .expired(let role): token = try await family.token(user: "user1", role: role, ttl: -120)
        case .algorithmNone(let role): token = Self.unsignedToken(family: family.id, role: role)
        case .hs512(let role): token = try await Self.hs512Token(family: family.id, role: role)
        }

        let response = try await expectingNoChange(to: family.id) {
            try await server.request(testCase.method, path, token: token, headers: headers, bytes: testCase.body)
        }
        #expect(response.status == testCase.status, "\(response.text)")
        #expect(response.errorCode == testCase.code, "\(response.text)")
        #expect(response.headers.first(name: "content-type")?.hasPrefix("application/json") == true)
        #expect(!(response.errorMessage ?? "").isEmpty)
        if let field = testCase.field {
            let error = try response.json()["error"] as? [String: Any]
            #expect(error?["field"] as? String == field)
            #expect(response.errorMessage?.hasPrefix(field) == true)
        }
        if let token { #expect(!response.text.contains(token)) }
    }

    @Test func boundaryValuesAreAccepted() async throws {
        try await TestRouter.run(redis: .test) { server in
            let family = try await server.family()
            let bodies = [
                #"{"title":"\#(String(repeating: "é", count: 200))"}"#,
                #"{"title":"x","description":"\#(String(repeating: "d", count: 2000))","durationSeconds":0,"videoUrl":"http://a.example/b"}"#,
                #"{"title":"x","description":null,"durationSeconds":86400,"videoUrl":null}"#,
            ]
            for body in bodies {
                let response = try await server.request(.POST, "/api/content/upload", token: family.child, body: body)
                #expect(response.status == 200, "\(response.text)")
            }
        }
    }

    static func foreignToken(family: FamilyID, role: Role) async throws -> String {
        try await TokenAuthority(secret: "some-other-secret-0123456789abcdef0123")
            .issue(for: Principal(family: family, user: UserID("user1")!, role: role), ttl: 600)
    }

    static func unsignedToken(family: FamilyID, role: Role) -> String {
        let header = base64URL(#"{"alg":"none","typ":"JWT"}"#)
        let exp = Int(Date().timeIntervalSince1970) + 600
        let payload = base64URL(#"{"sub":"user1","fam":"\#(family.rawValue)","role":"\#(role.rawValue)","exp":\#(exp)}"#)
        return "\(header).\(payload)."
    }

    static func hs512Token(family: FamilyID, role: Role) async throws -> String {
        let keys = JWTKeyCollection()
        // HS512 needs a 64-byte key; the header alone must get it refused.
        await keys.add(hmac: HMACKey(from: TestEnvironment.jwtSecret + TestEnvironment.jwtSecret), digestAlgorithm: .sha512)
        struct Claims: JWTPayload {
            var sub: SubjectClaim
            var fam: String
            var role: String
            var exp: ExpirationClaim
            func verify(using algorithm: some JWTAlgorithm) async throws {}
        }
        return try await keys.sign(
            Claims(sub: .init(value: "user1"), fam: family.rawValue, role: role.rawValue, exp: .init(value: Date().addingTimeInterval(600)))
        )
    }

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
