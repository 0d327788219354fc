import ContentQueue
import Foundation
import NIOHTTP1
import Server

extension TestGateway {
    public func request(
        _ method: HTTPMethod,
        _ path: String,
        token: String? = nil,
        headers: [(String, String)] = [],
        body: String? = nil
    ) async throws -> TestResponse {
        try await request(method, path, token: token, headers: headers, bytes: body.map { Array($0.utf8) })
    }

    /// A new family of the test's own, with tokens this gateway accepts.
    public func family() async throws -> TestFamily {
        try await TestFamily(tokens: server.tokens)
    }

    /// A token signed with the test secret.
    public func token(family: FamilyID, user: String, role: Role, ttl: TimeInterval = 600) async throws -> String {
        try await server.tokens.issue(for: Principal(family: family, user: UserID(user)!, role: role), ttl: ttl)
    }

    /// A service token signed with the test secret: for `family`, or every family when nil.
    public func serviceToken(family: FamilyID?, user: String = "billing", ttl: TimeInterval = 600) async throws -> String {
        try await server.tokens.issueService(user: UserID(user)!, family: family, ttl: ttl)
    }

    /// Uploads as `child` and returns the created item's id and version.
    @discardableResult
    public func upload(token: String, title: String = "A video") async throws -> (id: String, version: Int) {
        let response = try await request(.POST, "/api/content/upload", token: token, body: #"{"title":"\#(title)"}"#)
        guard response.status == 200 else { throw TestFailure("upload answered \(response.status): \(response.text)") }
        let json = try response.json()
        guard let item = json["item"] as? [String: Any], let id = item["id"] as? String, let version = json["version"] as? Int else {
            throw TestFailure("upload answered an unexpected body: \(response.text)")
        }
        return (id, version)
    }
}
