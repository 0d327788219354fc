import ArgumentParser
import Foundation
import Server

/// How `serve` and `token` find the HS256 secret.
struct SecretOptions: ParsableArguments {
    @Option(
        name: .customLong("jwt-secret-file"),
        help: "Read the HS256 secret from this file (env FLIMMER_JWT_SECRET_FILE); one trailing newline is ignored. Wins over FLIMMER_JWT_SECRET."
    )
    var secretFile: String?

    @Flag(name: .long, help: "Development mode: use a fixed, publicly known secret when no secret is configured.")
    var dev = false

    /// The secret from `--jwt-secret-file`, FLIMMER_JWT_SECRET_FILE or FLIMMER_JWT_SECRET; else the
    /// development secret under `--dev`; else a usage error. A secret under 32 bytes is refused.
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (secret: String, isDevelopment: Bool) {
        var secret: String?
        var source = "FLIMMER_JWT_SECRET"
        if let path = secretFile ?? environment["FLIMMER_JWT_SECRET_FILE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            // The path is safe to show; the file's content never is.
            guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
                throw ValidationError("cannot read the JWT secret file \(path)")
            }
            if text.hasSuffix("\r\n") {
                text.removeLast(2)
            } else if text.hasSuffix("\n") {
                text.removeLast()
            }
            secret = text
            source = "the JWT secret file"
        } else if let value = environment["FLIMMER_JWT_SECRET"], !value.isEmpty {
            secret = value
        }
        if let secret {
            do {
                try TokenAuthority.check(secret: secret)
            } catch {
                throw ValidationError("\(source) must hold at least \(TokenAuthority.minimumSecretBytes) bytes")
            }
            return (secret, false)
        }
        guard dev else {
            throw ValidationError("no secret: set FLIMMER_JWT_SECRET or --jwt-secret-file, or pass --dev to use the development secret")
        }
        return (TokenAuthority.developmentSecret, true)
    }
}
