import Swiftlet

// OpenAI's response objects, field for field, plus `swiftlet`: Swiftlet's own figures for
// each answer (the playground shows them). Fields OpenAI sends as null are encoded as null.

/// `chat.completion`: a whole answer.
struct ChatCompletion: Encodable {
    let id: String
    let object = "chat.completion"
    let created: Int64
    let model: String
    let choices: [Choice]
    let usage: Usage
    let swiftlet: Timings

    struct Choice: Encodable {
        let index = 0
        let message: Message
        let logprobs = Null()
        let finishReason: String

        private enum CodingKeys: String, CodingKey { case index, message, logprobs, finishReason = "finish_reason" }
    }

    struct Message: Encodable {
        let role = "assistant"
        /// Null when the answer is a tool call.
        @NullWhenAbsent var content: String?
        var toolCalls: [ToolCall]?

        private enum CodingKeys: String, CodingKey { case role, content, toolCalls = "tool_calls" }
    }
}

/// A call of one of the request's tools: its arguments as JSON text.
struct ToolCall: Encodable {
    /// Only in streamed deltas: which call of the message this is.
    var index: Int?
    let id: String
    let type = "function"
    let function: Function

    struct Function: Encodable {
        let name: String
        let arguments: String
    }
}

/// `chat.completion.chunk`: one server-sent event of a streamed chat answer.
struct ChatCompletionChunk: Encodable {
    let id: String
    let object = "chat.completion.chunk"
    let created: Int64
    let model: String
    /// Empty in the last chunk, which carries only `usage`.
    let choices: [Choice]
    var usage: Usage?
    var swiftlet: Timings?

    struct Choice: Encodable {
        let index = 0
        let delta: Delta
        let logprobs = Null()
        @NullWhenAbsent var finishReason: String?

        private enum CodingKeys: String, CodingKey { case index, delta, logprobs, finishReason = "finish_reason" }
    }

    /// What the chunk adds to the message: the role first, then pieces of content; `{}` at the end.
    struct Delta: Encodable {
        var role: String?
        var content: String?
        var toolCalls: [ToolCall]?

        private enum CodingKeys: String, CodingKey { case role, content, toolCalls = "tool_calls" }
    }
}

/// `text_completion`: a whole answer of `/v1/completions`, or one streamed piece of it.
struct TextCompletion: Encodable {
    let id: String
    let object = "text_completion"
    let created: Int64
    let model: String
    let choices: [Choice]
    var usage: Usage?
    var swiftlet: Timings?

    struct Choice: Encodable {
        let index = 0
        let text: String
        let logprobs = Null()
        @NullWhenAbsent var finishReason: String?

        private enum CodingKeys: String, CodingKey { case index, text, logprobs, finishReason = "finish_reason" }
    }
}

struct Usage: Encodable {
    let promptTokens: Int
    let completionTokens: Int
    var totalTokens: Int { promptTokens + completionTokens }

    init(_ stats: ResponseStats) {
        promptTokens = stats.promptTokens
        completionTokens = stats.generatedTokens
    }

    private enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
    }

    func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: CodingKeys.self)
        try fields.encode(promptTokens, forKey: .promptTokens)
        try fields.encode(completionTokens, forKey: .completionTokens)
        try fields.encode(totalTokens, forKey: .totalTokens)
    }
}

/// Swiftlet's figures for one answer, rounded to a tenth.
struct Timings: Encodable {
    let timeToFirstTokenMs: Double
    let prefillTokensPerSecond: Double
    let decodeTokensPerSecond: Double
    let draftedTokens: Int
    let acceptedTokens: Int

    init(_ stats: ResponseStats) {
        timeToFirstTokenMs = (stats.timeToFirstToken.seconds * 1e4).rounded() / 10
        prefillTokensPerSecond = (stats.prefillTokensPerSecond * 10).rounded() / 10
        decodeTokensPerSecond = (stats.decodeTokensPerSecond * 10).rounded() / 10
        draftedTokens = stats.draftedTokens
        acceptedTokens = stats.acceptedTokens
    }

    private enum CodingKeys: String, CodingKey {
        case timeToFirstTokenMs = "time_to_first_token_ms", prefillTokensPerSecond = "prefill_tokens_per_second"
        case decodeTokensPerSecond = "decode_tokens_per_second", draftedTokens = "drafted_tokens"
        case acceptedTokens = "accepted_tokens"
    }
}

/// `{"error": {"message", "type", "param", "code"}}`.
struct ErrorResponse: Encodable {
    let error: Body

    struct Body: Encodable {
        let message: String
        let type: String
        @NullWhenAbsent var param: String?
        @NullWhenAbsent var code: String?
    }
}

/// `GET /v1/models`: OpenAI's list of `model` objects, with what Swiftlet knows of each file.
struct ModelList: Encodable {
    let object = "list"
    let data: [Model]

    struct Model: Encodable {
        let id: String
        let object = "model"
        let created = 0
        let ownedBy = "swiftlet"
        let architecture: String
        let quantization: String
        let parameters: Int
        let sizeBytes: Int
        let loadMs: Double
        let contextSize: Int
        /// "cpu" or "gpu", and the GPU adapter (null on the CPU).
        let backend: String
        @NullWhenAbsent var adapter: String?

        private enum CodingKeys: String, CodingKey {
            case id, object, created, ownedBy = "owned_by", architecture, quantization, parameters
            case sizeBytes = "size_bytes", loadMs = "load_ms", contextSize = "context_size", backend, adapter
        }
    }
}

/// A field that is always null (`logprobs`: not computed here).
struct Null: Encodable {
    func encode(to encoder: any Encoder) throws {
        var value = encoder.singleValueContainer()
        try value.encodeNil()
    }
}

/// An optional field OpenAI writes as null when it has no value (synthesized encoding would
/// leave the key out).
@propertyWrapper
struct NullWhenAbsent<Value: Encodable>: Encodable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    func encode(to encoder: any Encoder) throws {
        var value = encoder.singleValueContainer()
        if let wrappedValue { try value.encode(wrappedValue) } else { try value.encodeNil() }
    }
}
