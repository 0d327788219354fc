import ArgumentParser
import Foundation
import Server

/// How `serve` and `token` find the HS256 secret.
struct SecretOptions: ParsableArguments {
    @Flag(name: .long, help: "Development mode: use a fixed, publicly known secret when FLIMMER_JWT_SECRET is unset.")
    var dev = false

    /// FLIMMER_JWT_SECRET, or the development secret under `--dev`, or a usage error.
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (secret: String, isDevelopment: Bool) {
        if let secret = environment["FLIMMER_JWT_SECRET"], !secret.isEmpty {
            guard secret.utf8.count >= TokenAuthority.minimumSecretBytes else {
                throw ValidationError("FLIMMER_JWT_SECRET must be at least \(TokenAuthority.minimumSecretBytes) bytes")
            }
            return (secret, false)
        }
        guard dev else {
            throw ValidationError("no secret: set FLIMMER_JWT_SECRET, or pass --dev to use the development secret")
        }
        return (TokenAuthority.developmentSecret, true)
    }
}
