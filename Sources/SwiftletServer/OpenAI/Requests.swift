import Swiftlet
import SwiftletCore

/// What the two completion endpoints' request bodies have in common.
protocol CompletionRequestBody: Decodable {
    var model: String? { get }
    var parameters: GenerationParameters { get set }
    /// What the model answers: a conversation or a text to continue.
    var input: LanguageModel.Prompt { get }
}

/// The body of `POST /v1/chat/completions`: OpenAI's fields that apply to a local model.
struct ChatCompletionRequest: CompletionRequestBody {
    var model: String?
    var messages: [Message]
    var parameters: GenerationParameters

    private enum CodingKeys: String, CodingKey { case model, messages }

    init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        model = try fields.optional(.model, mustBe: "a string")
        let shape = "a non-empty array of {role, content} objects"
        messages = try fields.required(.messages, mustBe: shape)
        if messages.isEmpty { throw fields.invalid(.messages, mustBe: shape) }
        parameters = try GenerationParameters(from: decoder)
    }

    var input: LanguageModel.Prompt {
        var turns: [ChatMessage] = []
        for (index, message) in messages.enumerated() {
            guard message.role == "tool" else {
                // OpenAI's newer name for the system role; chat templates know only "system".
                turns.append(ChatMessage(role: message.role == "developer" ? "system" : message.role, content: message.content))
                continue
            }
            // A tool's result is a user turn; results that follow each other are one (templates
            // that want roles to alternate refuse two).
            let result = "Tool result: " + message.content
            if index > 0, messages[index - 1].role == "tool" {
                turns[turns.count - 1].content += "\n" + result
            } else {
                turns.append(ChatMessage(role: "user", content: result))
            }
        }
        return .messages(turns)
    }

    /// A message; an assistant's tool calls and a tool's result are written as the text
    /// the model saw and gave, since the chat templates here know no tools.
    struct Message: Decodable {
        var role: String
        var content: String

        private enum CodingKeys: String, CodingKey { case role, content, toolCalls = "tool_calls" }

        init(from decoder: any Decoder) throws {
            let fields = try decoder.object(keyedBy: CodingKeys.self)
            let roles = "one of system, developer, user, assistant, tool"
            role = try fields.required(.role, mustBe: roles)
            guard ["system", "developer", "user", "assistant", "tool"].contains(role) else { throw fields.invalid(.role, mustBe: roles) }
            let calls: [ToolCallMessage]? = role == "assistant" ? try fields.optional(.toolCalls, mustBe: "an array of tool calls") : nil
            if let calls, !calls.isEmpty {
                content = calls.map { "{\"name\": \(String(decoding: JSONText.quoted(Array($0.name.utf8)), as: UTF8.self)), \"arguments\": \($0.arguments)}" }
                    .joined(separator: "\n")
            } else {
                content = (try fields.required(.content, mustBe: "a string or an array of text parts") as TextContent).text
            }
        }
    }

    /// `{"id", "type": "function", "function": {"name", "arguments"}}` in an assistant message.
    struct ToolCallMessage: Decodable {
        var name: String
        var arguments: String

        private enum CodingKeys: String, CodingKey { case function }
        private enum FunctionKeys: String, CodingKey { case name, arguments }

        init(from decoder: any Decoder) throws {
            let function = try decoder.object(keyedBy: CodingKeys.self)
                .nestedContainer(keyedBy: FunctionKeys.self, forKey: .function)
            name = try function.required(.name, mustBe: "a string")
            arguments = try function.required(.arguments, mustBe: "a string of JSON")
        }
    }

    /// A message's content: a string, or an array of `{"type": "text", "text": …}` parts.
    struct TextContent: Decodable {
        var text: String

        init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer()
            if let text = try? value.decode(String.self) {
                self.text = text
            } else if let parts = try? value.decode([JSONValue].self) {
                text = try parts.map { part throws(APIError) in
                    guard case let .object(fields) = part, fields["type"] == .string("text"), case let .string(text)? = fields["text"] else {
                        throw .invalid(decoder.parameterName, "'\(decoder.parameterName)' parts must be {\"type\": \"text\", \"text\": …} (only text is supported)")
                    }
                    return text
                }.joined()
            } else {
                throw APIError.invalid(decoder.parameterName, "'\(decoder.parameterName)' must be a string or an array of text parts")
            }
        }
    }
}

/// The body of `POST /v1/completions` (a text to continue, no chat template).
struct TextCompletionRequest: CompletionRequestBody {
    var model: String?
    var prompt: String
    var parameters: GenerationParameters

    private enum CodingKeys: String, CodingKey { case model, prompt }

    init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        model = try fields.optional(.model, mustBe: "a string")
        prompt = try fields.required(.prompt, mustBe: "a string")
        parameters = try GenerationParameters(from: decoder)
    }

    var input: LanguageModel.Prompt { .raw(prompt) }
}

/// The sampling and streaming fields both endpoints take, checked for type and range. Each
/// is nil when the request leaves it out; `max_tokens` is checked against the model later.
struct GenerationParameters: Decodable {
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var temperature: Double?
    var topP: Double?
    var topK: Int?
    var minP: Double?
    var seed: Int?
    var stop: [String]?
    var stream: Bool?
    var streamOptions: StreamOptions?
    /// Swiftlet's own: "auto", "ngram" or "off" (drafting and batched verification).
    var speculation: Speculation?
    /// From `response_format` and `tools`, which `ResponseFormat` and `ToolUse` read from the raw body.
    var grammar: Grammar?
    var toolUse: ToolUse?

    private enum CodingKeys: String, CodingKey {
        case n, maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens", temperature, topP = "top_p",
             topK = "top_k", minP = "min_p", seed, stop, stream, streamOptions = "stream_options", speculation
    }

    init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        if let n: Int = try fields.optional(.n, mustBe: "a whole number"), n != 1 {
            throw fields.invalid(.n, mustBe: "1 (only one choice per request is supported)")
        }
        maxTokens = try fields.optional(.maxTokens, mustBe: "a whole number")
        maxCompletionTokens = try fields.optional(.maxCompletionTokens, mustBe: "a whole number")
        temperature = try fields.number(.temperature, in: 0...2)
        topP = try fields.number(.topP, in: 0...1)
        minP = try fields.number(.minP, in: 0...1)
        topK = try fields.optional(.topK, mustBe: "a whole number")
        if let topK, topK < 0 { throw fields.invalid(.topK, mustBe: "0 (no limit) or more") }
        seed = try fields.optional(.seed, mustBe: "a whole number")
        stop = (try fields.optional(.stop, mustBe: "a string or up to 4 strings") as StopStrings?)?.strings
        stream = try fields.optional(.stream, mustBe: "a boolean")
        streamOptions = try fields.optional(.streamOptions, mustBe: "an object")
        let modes = "\"auto\", \"ngram\" or \"off\""
        if let name: String = try fields.optional(.speculation, mustBe: modes) {
            guard let mode = Speculation(name: name.utf8) else { throw fields.invalid(.speculation, mustBe: modes) }
            speculation = mode
        }
    }

    struct StreamOptions: Decodable {
        var includeUsage: Bool?

        private enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }

        init(from decoder: any Decoder) throws {
            includeUsage = try decoder.object(keyedBy: CodingKeys.self).optional(.includeUsage, mustBe: "a boolean")
        }
    }

    /// `stop`: one string or up to 4.
    private struct StopStrings: Decodable {
        var strings: [String]

        init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer()
            if let stop = try? value.decode(String.self) {
                strings = [stop]
            } else if let stops = try? value.decode([String].self), stops.count <= 4 {
                strings = stops
            } else {
                throw APIError.invalid(decoder.parameterName, "'\(decoder.parameterName)' must be a string or up to 4 strings")
            }
        }
    }
}

extension KeyedDecodingContainer {
    /// A number in `range`, or nil when absent.
    fileprivate func number(_ key: Key, in range: ClosedRange<Double>) throws -> Double? {
        guard let value: Double = try optional(key, mustBe: "a number") else { return nil }
        guard range.contains(value) else {
            throw invalid(key, mustBe: "between \(describe(range.lowerBound)) and \(describe(range.upperBound))")
        }
        return value
    }
}

/// "2" rather than "2.0" in messages.
private func describe(_ bound: Double) -> String { bound == bound.rounded() ? String(Int(bound)) : String(bound) }
