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

    @Option(help: "Family id: 1-64 of A-Z a-z 0-9 _ -.")
    var family: String

    @Option(help: "User id (the token's sub): 1-128 of A-Z a-z 0-9 _ - . @.")
    var user: String

    @Option(help: "parent or child.")
    var role: String

    @Option(help: "Lifetime in seconds.")
    var ttl: Int = 3600

    @OptionGroup var secret: SecretOptions

    func validate() throws {
        if FamilyID(family) == nil { throw ValidationError("--family must be 1-64 of A-Z a-z 0-9 _ -") }
        if UserID(user) == nil { throw ValidationError("--user must be 1-128 of A-Z a-z 0-9 _ - . @") }
        if Role(rawValue: role) == nil { throw ValidationError("--role must be parent or child") }
        if ttl < 1 || ttl > 366 * 86_400 { throw ValidationError("--ttl must be 1 to 31622400 seconds") }
    }

    func run() async throws {
        let (jwtSecret, _) = try secret.resolve()
        let authority = try await TokenAuthority(secret: jwtSecret)
        let principal = Principal(family: FamilyID(family)!, user: UserID(user)!, role: Role(rawValue: role)!)
        print(try await authority.issue(for: principal, ttl: TimeInterval(ttl)))
    }
}
