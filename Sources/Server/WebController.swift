import Foundation
import Hummingbird
import NIOCore

/// `GET /`, `/app.js`, `/app.css`: the parent dashboard and child upload page, and
/// `/client/flimmer-sync.js`, the JavaScript client they use (one stream per browser, shared by
/// its tabs): plain files from `Sources/Server/Resources/web` (no build step), loaded once at start.
struct WebController: Sendable {
    struct File: Sendable {
        let path: String
        let contentType: String
        let body: ByteBuffer
    }

    let files: [File]

    /// Loads the files from the package's resources; a missing one is a packaging error.
    init() throws {
        let names: [(String, String, String)] = [
            ("/", "index.html", "text/html; charset=utf-8"),
            ("/app.js", "app.js", "text/javascript; charset=utf-8"),
            ("/app.css", "app.css", "text/css; charset=utf-8"),
            ("/client/flimmer-sync.js", "flimmer-sync.js", "text/javascript; charset=utf-8"),
        ]
        files = try names.map { path, name, type in
            guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "web") else {
                throw APIError(.internalServerError, code: "internal", message: "web/\(name) is missing from the package resources")
            }
            return File(path: path, contentType: type, body: ByteBuffer(bytes: try Data(contentsOf: url)))
        }
    }

    func register(on router: Router<some RequestContext>) {
        for file in files {
            router.get(RouterPath(file.path)) { _, _ in
                Response(
                    status: .ok,
                    headers: [
                        .contentType: file.contentType, .cacheControl: "no-cache",
                        // Only this origin's scripts, styles and connections: a title a child typed can never run.
                        // Videos may come from any http(s) origin (an item's videoUrl), nothing else may.
                        .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; media-src http: https:; frame-ancestors 'none'",
                        .xContentTypeOptions: "nosniff",
                    ],
                    body: .init(byteBuffer: file.body)
                )
            }
        }
    }
}
