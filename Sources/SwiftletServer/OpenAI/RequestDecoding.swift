import Foundation
import Hummingbird

/// Decoding a request body into its Codable type, with errors a client can act on: each
/// names the parameter (`messages[0].content`), what it must be and what it was.
enum RequestDecoding {
    static func decode<Body: Decodable>(_ type: Body.Type, from body: ByteBuffer) throws(APIError) -> Body {
        do {
            return try JSONDecoder().decode(Body.self, from: Data(body.readableBytesView))
        } catch let error as APIError {
            throw error
        } catch let DecodingError.typeMismatch(_, context) where context.codingPath.isEmpty {
            throw APIError(status: .badRequest, message: "the request body must be a JSON object")
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw APIError(status: .badRequest, message: "the request body is not valid JSON")
        } catch {
            // Every field is read through `optional`/`required`, which name it; this is the
            // fallback for anything they do not foresee.
            throw APIError(status: .badRequest, message: "the request body does not match the API: \(error)")
        }
    }

    /// `messages[0].content` for the coding path [messages, 0, content].
    static func parameterName(_ path: [any CodingKey]) -> String {
        path.reduce(into: "") { name, key in
            if let index = key.intValue { name += "[\(index)]" } else { name += name.isEmpty ? key.stringValue : "." + key.stringValue }
        }
    }
}

extension KeyedDecodingContainer {
    /// The value at `key`, or nil when it is absent or null; a value of another type is an
    /// error that names the parameter, what it `mustBe` ("a number") and what it was.
    func optional<T: Decodable>(_ key: Key, mustBe requirement: String) throws -> T? {
        do {
            return try decodeIfPresent(T.self, forKey: key)
        } catch let error as APIError {
            throw error  // from inside the value, naming its own parameter
        } catch let error as DecodingError where !error.isAbout(codingPath + [key]) {
            throw error
        } catch {
            // Foundation reports a number that does not fit the type (5.5 for `Int`) with an
            // error of its own, which it would turn into "not valid JSON".
            let actual = try? decodeIfPresent(JSONValue.self, forKey: key)
            throw invalid(key, mustBe: requirement + (actual.map { ", not \($0.summary)" } ?? ""))
        }
    }

    func required<T: Decodable>(_ key: Key, mustBe requirement: String) throws -> T {
        guard let value: T = try optional(key, mustBe: requirement) else { throw invalid(key, mustBe: requirement) }
        return value
    }

    /// "'top_p' must be between 0 and 1", naming the parameter in `param`.
    func invalid(_ key: Key, mustBe requirement: String) -> APIError {
        let param = RequestDecoding.parameterName(codingPath + [key])
        return .invalid(param, "'\(param)' must be \(requirement)")
    }
}

extension DecodingError {
    /// Whether the error, raised while decoding the value at `path`, is about that value
    /// itself rather than something inside it.
    fileprivate func isAbout(_ path: [any CodingKey]) -> Bool {
        switch self {
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            path.map(\.stringValue).starts(with: context.codingPath.map(\.stringValue))
        default: false
        }
    }
}

extension Decoder {
    /// This value's name in errors: `messages[0].content`.
    var parameterName: String { RequestDecoding.parameterName(codingPath) }

    /// The value as an object, or an error that names it.
    func object<Key: CodingKey>(keyedBy: Key.Type) throws -> KeyedDecodingContainer<Key> {
        do {
            return try container(keyedBy: Key.self)
        } catch {
            throw APIError.invalid(parameterName, "'\(parameterName)' must be an object")
        }
    }
}
