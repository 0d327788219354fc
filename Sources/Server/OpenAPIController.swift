import Foundation
import Hummingbird
import NIOCore

/// `GET /openapi.json`: the OpenAPI 3.1 document kept in `Sources/Server/Resources/openapi.json`.
struct OpenAPIController: Sendable {
    let document: ByteBuffer

    /// Loads the document from the package's resources; a missing one is a packaging error.
    init() throws {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else {
            throw APIError(.internalServerError, code: "internal", message: "openapi.json is missing from the package resources")
        }
        document = ByteBuffer(bytes: try Data(contentsOf: url))
    }

    func register(on router: Router<some RequestContext>) {
        let document = self.document
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: document)
            )
        }
    }
}
