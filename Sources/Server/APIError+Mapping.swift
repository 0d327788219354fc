import ContentQueue
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import NIOCore
import RedisClient

extension APIError {
    /// Maps any error a handler throws to what the client sees. Internal details stay in the logs.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as ContentQueueError:
            switch error.code {
            case .notFound:
                return .notFound("no such content")
            case .notPending:
                return APIError(.conflict, code: "not_pending", message: error.message)
            case .reservedKey:
                return .invalidField("key", "is reserved: \(error.message)")
            case .idempotencyKeyReused:
                return APIError(.unprocessableContent, code: "idempotency_key_reused", message: error.message)
            case .replicationTimeout:
                return APIError(.serviceUnavailable, code: "replication_timeout", message: error.message, headers: [.retryAfter: "1"])
            case .contention:
                return APIError(.serviceUnavailable, code: "contention", message: error.message, headers: [.retryAfter: "1"])
            default:
                return APIError(.internalServerError, code: "corrupt_state", message: "stored data does not have the expected shape")
            }
        case let error as StreamLimitExceeded:
            let whose = error.scope == .user ? "this user already has" : "the server already holds"
            return APIError(
                .tooManyRequests,
                code: "too_many_streams",
                message: "\(whose) \(error.limit) open streams",
                headers: [.retryAfter: "5"]
            )
        case let error as RedisError where error.code == .busy:
            return APIError(
                .serviceUnavailable,
                code: "redis_busy",
                message: "every Redis connection for writes is in use; retry shortly",
                headers: [.retryAfter: "1"]
            )
        case let error as RedisError where error.isUnavailable:
            return .redisUnavailable
        case is RedisError:
            return APIError(.internalServerError, code: "redis_error", message: "the data store answered with an error")
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, code: "payload_too_large", message: "the request body is too large")
        case let error as HTTPError:
            return APIError(error.status, code: Self.code(for: error.status), message: error.body ?? error.status.reasonPhrase)
        default:
            return APIError(.internalServerError, code: "internal", message: "internal error")
        }
    }

    private static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: return "not_found"
        case .methodNotAllowed: return "method_not_allowed"
        case .contentTooLarge: return "payload_too_large"
        case .badRequest: return "bad_request"
        case .unauthorized: return "unauthorized"
        case .forbidden: return "forbidden"
        default: return status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
        }
    }
}
