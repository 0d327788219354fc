import ArgumentParser
import ContentQueue
import Foundation
import Server

/// `flimmer-sync token`: prints a bearer token signed with the server's secret.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a bearer token (HS256 JWT with sub, fam, role, exp).",
        discussion: "Signed with FLIMMER_JWT_SECRET, or with the development secret under --dev."
    )

    @Option(help: "Family id: 1-64 of A-Z a-z 0-9 _ -. Optional for --role service, whose token is then valid for every family.")
    var family: String?

    @Option(help: "User id (the token's sub): 1-128 of A-Z a-z 0-9 _ - . @.")
    var user: String

    @Option(help: "parent, child or service (POST /api/invalidate only).")
    var role: String

    @Option(help: "Lifetime in seconds.")
    var ttl: Int = 3600

    @OptionGroup var secret: SecretOptions

    func validate() throws {
        if let family, FamilyID(family) == nil { throw ValidationError("--family must be 1-64 of A-Z a-z 0-9 _ -") }
        if family == nil, role != Role.service.rawValue { throw ValidationError("--family is required for parent and child tokens") }
        if UserID(user) == nil { throw ValidationError("--user must be 1-128 of A-Z a-z 0-9 _ - . @") }
        if Role(rawValue: role) == nil { throw ValidationError("--role must be parent, child or service") }
        if ttl < 1 || ttl > 366 * 86_400 { throw ValidationError("--ttl must be 1 to 31622400 seconds") }
    }

    func run() async throws {
        print(try await mint())
    }

    /// The token the options describe, signed with the resolved secret.
    func mint(environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> String {
        let (jwtSecret, _) = try secret.resolve(environment: environment)
        let authority = try await TokenAuthority(secret: jwtSecret)
        let role = Role(rawValue: role)!
        if role == .service {
            return try await authority.issueService(user: UserID(user)!, family: family.flatMap(FamilyID.init), ttl: TimeInterval(ttl))
        }
        let principal = Principal(family: FamilyID(family!)!, user: UserID(user)!, role: role)
        return try await authority.issue(for: principal, ttl: TimeInterval(ttl))
    }
}
