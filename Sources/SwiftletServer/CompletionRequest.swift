import Swiftlet
import SwiftletCore

/// A completion request checked against the model it names: what to answer and how.
struct CompletionRequest {
    var prompt: LanguageModel.Prompt
    var options: ResponseOptions
    var stream: Bool
    var includeUsage: Bool
    /// The request's tools, when the answer may call one.
    var toolUse: ToolUse?

    /// Fields the request leaves out take Swiftlet's defaults (the core's
    /// `SamplingParameters.defaults`, through `ResponseOptions`), not OpenAI's; without a
    /// limit the answer may fill the model's context.
    init(_ body: some CompletionRequestBody, contextSize: Int) throws(APIError) {
        let parameters = body.parameters
        let (limitName, limit) = parameters.maxCompletionTokens.map { ("max_completion_tokens", $0) }
            ?? ("max_tokens", parameters.maxTokens ?? contextSize)
        guard (1...contextSize).contains(limit) else {
            throw .invalid(limitName, "'\(limitName)' must be a whole number from 1 to the model's context size (\(contextSize))")
        }
        prompt = body.input
        options = ResponseOptions(maxTokens: limit)
        if let temperature = parameters.temperature { options.temperature = Float(temperature) }
        if let topP = parameters.topP { options.topP = Float(topP) }
        if let topK = parameters.topK { options.topK = topK }
        if let minP = parameters.minP { options.minP = Float(minP) }
        // Negative seeds are seeds too (OpenAI allows them): kept distinct by their bits.
        if let seed = parameters.seed { options.randomSeed = UInt64(bitPattern: Int64(seed)) }
        options.stopStrings = parameters.stop ?? []
        if let speculation = parameters.speculation { options.speculation = speculation }
        options.grammar = parameters.grammar
        if let toolUse = parameters.toolUse {
            guard case let .messages(messages) = prompt else { throw .invalid("tools", "'tools' are for /v1/chat/completions") }
            guard options.grammar == nil else { throw .invalid("tools", "'tools' and a JSON 'response_format' cannot be combined") }
            options.grammar = try toolUse.grammar()
            prompt = .messages(toolUse.instructed(messages))
            self.toolUse = toolUse
        }
        stream = parameters.stream ?? false
        includeUsage = parameters.streamOptions?.includeUsage ?? false
    }
}
