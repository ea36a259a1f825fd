import Foundation
import Swiftlet
import SwiftletCore

/// A `/v1/chat/completions` or `/v1/completions` request, checked field by field: the
/// OpenAI fields that apply to a local model, plus `top_k` and `min_p`.
struct CompletionRequest {
    var model: String?
    var prompt: LanguageModel.Prompt
    var options: ResponseOptions
    var stream: Bool
    var includeUsage: Bool

    init(json: [UInt8], chat: Bool, contextSize: Int) throws(APIError) {
        let fields: [String: JSONValue]
        do {
            guard case let .object(object) = try JSONDecoder().decode(JSONValue.self, from: Data(json)) else {
                throw APIError.invalid("", "the request body must be a JSON object")
            }
            fields = object
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.invalid("", "the request body is not valid JSON")
        }
        let reader = FieldReader(fields: fields)

        model = try reader.string("model")
        if chat {
            prompt = .messages(try Self.messages(fields["messages"]))
        } else {
            guard let text = try reader.string("prompt") else { throw .invalid("prompt", "'prompt' is required") }
            prompt = .raw(text)
        }
        if let n = try reader.number("n"), n != 1 { throw .invalid("n", "only n = 1 is supported") }

        let maxCompletionTokens = try reader.number("max_completion_tokens")
        let legacyMaxTokens = try reader.number("max_tokens")
        // Without a limit the answer may fill the context.
        let maxTokens = maxCompletionTokens ?? legacyMaxTokens ?? Double(contextSize)
        guard maxTokens >= 1, maxTokens <= Double(contextSize), maxTokens == maxTokens.rounded() else {
            throw .invalid("max_tokens", "'max_tokens' must be a whole number from 1 to the context size (\(contextSize))")
        }
        options = ResponseOptions(maxTokens: Int(maxTokens))
        options.temperature = Float(try reader.number("temperature", in: 0...2) ?? 1)
        options.topP = Float(try reader.number("top_p", in: 0...1) ?? 1)
        options.topK = Int(try reader.number("top_k", in: 0...1_000_000) ?? 0)
        options.minP = Float(try reader.number("min_p", in: 0...1) ?? 0)
        options.randomSeed = UInt64(max(0, try reader.number("seed") ?? 0))
        options.stopStrings = try Self.stops(fields["stop"])
        stream = try reader.bool("stream") ?? false
        if case let .object(streamOptions)? = fields["stream_options"] {
            includeUsage = try FieldReader(fields: streamOptions, prefix: "stream_options.").bool("include_usage") ?? false
        } else {
            includeUsage = false
        }
    }

    private static func messages(_ value: JSONValue?) throws(APIError) -> [ChatMessage] {
        guard case let .array(items)? = value, !items.isEmpty else {
            throw .invalid("messages", "'messages' must be a non-empty array of {role, content} objects")
        }
        var messages: [ChatMessage] = []
        for (index, item) in items.enumerated() {
            let param = "messages[\(index)]"
            guard case let .object(fields) = item else { throw .invalid(param, "'\(param)' must be an object") }
            let reader = FieldReader(fields: fields, prefix: param + ".")
            guard let role = try reader.string("role"), ["system", "developer", "user", "assistant"].contains(role) else {
                throw .invalid(param + ".role", "'\(param).role' must be one of system, developer, user, assistant")
            }
            messages.append(ChatMessage(role: role == "developer" ? "system" : role, content: try content(fields["content"], param: param + ".content")))
        }
        return messages
    }

    /// A string, or an array of `{"type": "text", "text": …}` parts.
    private static func content(_ value: JSONValue?, param: String) throws(APIError) -> String {
        switch value {
        case let .string(text)?: return text
        case let .array(parts)?:
            var text = ""
            for part in parts {
                guard case let .object(fields) = part, fields["type"] == .string("text"), case let .string(piece)? = fields["text"] else {
                    throw .invalid(param, "'\(param)' parts must be {\"type\": \"text\", \"text\": …} (only text is supported)")
                }
                text += piece
            }
            return text
        default: throw .invalid(param, "'\(param)' must be a string or an array of text parts")
        }
    }

    private static func stops(_ value: JSONValue?) throws(APIError) -> [String] {
        switch value {
        case nil, .null?: return []
        case let .string(stop)?: return [stop]
        case let .array(items)? where items.count <= 4:
            var stops: [String] = []
            for item in items {
                guard case let .string(stop) = item else { throw .invalid("stop", "'stop' must be a string or up to 4 strings") }
                stops.append(stop)
            }
            return stops
        default: throw .invalid("stop", "'stop' must be a string or up to 4 strings")
        }
    }
}

/// Reads optional fields of one JSON object, naming the field when its type is wrong.
private struct FieldReader {
    let fields: [String: JSONValue]
    var prefix = ""

    func string(_ name: String) throws(APIError) -> String? {
        switch fields[name] {
        case nil, .null?: return nil
        case let .string(value)?: return value
        case let other?: throw .invalid(prefix + name, "'\(prefix + name)' must be a string, not \(other.typeName)")
        }
    }

    func number(_ name: String, in range: ClosedRange<Double>? = nil) throws(APIError) -> Double? {
        switch fields[name] {
        case nil, .null?: return nil
        case let .number(value)?:
            if let range, !range.contains(value) {
                throw .invalid(prefix + name, "'\(prefix + name)' must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return value
        case let other?: throw .invalid(prefix + name, "'\(prefix + name)' must be a number, not \(other.typeName)")
        }
    }

    func bool(_ name: String) throws(APIError) -> Bool? {
        switch fields[name] {
        case nil, .null?: return nil
        case let .bool(value)?: return value
        case let other?: throw .invalid(prefix + name, "'\(prefix + name)' must be a boolean, not \(other.typeName)")
        }
    }
}
