import AsyncHTTPClient
import Foundation
import NIOCore

/// What the chaos run reads from the gateways themselves after the load: each family's queue
/// ETag (the tag a stream's last id must equal) and their master-change counters.
enum GatewayReads {
    /// Each family's `GET /api/content/queue` ETag without its quotes, as a parent of the family
    /// reads it through the first gateway that answers 200.
    static func queueTags(families: [String], tokens: ChaosTokens, gateways: [String], http: HTTPClient) async throws -> [String: String] {
        var tags: [String: String] = [:]
        for family in families {
            var answers: [String] = []
            for gateway in gateways {
                var request = HTTPClientRequest(url: gateway + "/api/content/queue")
                request.headers.add(name: "Authorization", value: "Bearer \(tokens.token(family, "parent"))")
                do {
                    let response = try await http.execute(request, timeout: .seconds(5))
                    _ = try await response.body.collect(upTo: 16 << 20)
                    if response.status.code == 200, let tag = response.headers.first(name: "ETag").flatMap(unquoted) {
                        tags[family] = tag
                        break
                    }
                    answers.append("\(gateway): \(response.status.code)")
                } catch {
                    answers.append("\(gateway): \(error)")
                }
            }
            guard tags[family] != nil else { throw ChaosProblem("no queue ETag for \(family) (\(answers.joined(separator: "; ")))") }
        }
        return tags
    }

    /// `"tag"` or `W/"tag"` → `tag`; nil for anything else.
    static func unquoted(_ etag: String) -> String? {
        var text = Substring(etag.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        guard text.count >= 2, text.first == "\"", text.last == "\"" else { return nil }
        return String(text.dropFirst().dropLast())
    }

    /// The value of counter `name` (with its labels, as `name{kind="moved"}`) in a Prometheus
    /// text exposition; nil when absent.
    static func counter(_ name: String, in text: String) -> Double? {
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, parts[0] == name { return Double(parts[1]) }
        }
        return nil
    }

    /// A gateway's cluster redirections followed, as `moved 12, ask 3, retry 40`; nil when it does not answer.
    static func redirections(gateway: String, http: HTTPClient) async -> String? {
        let request = HTTPClientRequest(url: gateway + "/metrics")
        guard let response = try? await http.execute(request, timeout: .seconds(5)), response.status.code == 200,
            let body = try? await response.body.collect(upTo: 16 << 20)
        else { return nil }
        let text = String(buffer: body)
        return ["moved", "ask", "retry"].map { kind in
            "\(kind) \(counter("flimmer_redis_redirections_total{kind=\"\(kind)\"}", in: text).map { Int($0) } ?? 0)"
        }.joined(separator: ", ")
    }

    /// A gateway's `flimmer_redis_master_changes_total`; nil when it does not answer.
    static func masterChanges(gateway: String, http: HTTPClient) async -> Int? {
        let request = HTTPClientRequest(url: gateway + "/metrics")
        guard let response = try? await http.execute(request, timeout: .seconds(5)), response.status.code == 200,
            let body = try? await response.body.collect(upTo: 16 << 20)
        else { return nil }
        return counter("flimmer_redis_master_changes_total", in: String(buffer: body)).map { Int($0) }
    }
}
