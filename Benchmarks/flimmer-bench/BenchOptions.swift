import ArgumentParser
import ContentQueue
import Foundation
import Server

/// Where the gateway is and how to mint tokens for it.
struct BenchOptions: ParsableArguments {
    @Option(help: "Base URL of a running gateway.")
    var url: String = "http://127.0.0.1:8080"

    @Flag(help: "Sign tokens with the development secret instead of FLIMMER_JWT_SECRET.")
    var dev = false

    func authority() async throws -> TokenAuthority { try await Self.authority(dev: dev) }

    /// FLIMMER_JWT_SECRET's authority, or with `dev` the development secret's.
    static func authority(dev: Bool) async throws -> TokenAuthority {
        if let secret = ProcessInfo.processInfo.environment["FLIMMER_JWT_SECRET"], !secret.isEmpty, !dev {
            return try await TokenAuthority(secret: secret)
        }
        guard dev else { throw ValidationError("set FLIMMER_JWT_SECRET or pass --dev") }
        return try await TokenAuthority(secret: TokenAuthority.developmentSecret)
    }

    /// A family name unique to this run, so repeated runs never share keys.
    static func family(_ index: Int, run: String) -> FamilyID {
        FamilyID("bench-\(run)-\(index)")!
    }

    static func runID() -> String {
        String(UInt32.random(in: 0...UInt32.max), radix: 36)
    }
}
