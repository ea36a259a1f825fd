import SwiftletCore

/// How an answer is generated: MediaPipe LLM Inference's options (`maxTokens`, `topK`,
/// `temperature`, `randomSeed`) and the rest of the sampler's.
public struct ResponseOptions: Sendable {
    public var maxTokens: Int
    public var topK: Int
    /// 0 is greedy: always the most likely token.
    public var temperature: Float
    public var randomSeed: UInt64
    public var topP: Float
    public var minP: Float
    public var repetitionPenalty: Float
    /// The answer ends before the first of these (which is not part of it).
    public var stopStrings: [String]
    /// Whether tokens are drafted from the context and verified in batches (the CPU
    /// engine): the same answer, sooner where it copies from its input.
    public var speculation: Speculation
    /// What the answer must be: `Grammar(jsonSchema:)` for JSON valid against a schema,
    /// `Grammar.anyJSONObject`, or `Grammar(gbnf:)`. nil: free text.
    public var grammar: Grammar?

    /// Defaults: the core's (`GenerationOptions.defaultMaxTokens`, `SamplingParameters.defaults`).
    public init(
        maxTokens: Int = GenerationOptions.defaultMaxTokens, topK: Int = SamplingParameters.defaults.topK,
        temperature: Float = SamplingParameters.defaults.temperature, randomSeed: UInt64 = SamplingParameters.defaults.seed,
        topP: Float = SamplingParameters.defaults.topP, minP: Float = SamplingParameters.defaults.minP,
        repetitionPenalty: Float = SamplingParameters.defaults.repetitionPenalty, stopStrings: [String] = [],
        speculation: Speculation = GenerationOptions.defaultSpeculation, grammar: Grammar? = nil
    ) {
        self.maxTokens = maxTokens
        self.topK = topK
        self.temperature = temperature
        self.randomSeed = randomSeed
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.stopStrings = stopStrings
        self.speculation = speculation
        self.grammar = grammar
    }

    public var generation: GenerationOptions {
        GenerationOptions(
            maxTokens: maxTokens,
            sampling: SamplingParameters(
                temperature: temperature, topK: topK, topP: topP, minP: minP,
                repetitionPenalty: repetitionPenalty, seed: randomSeed),
            stopStrings: stopStrings.map { Array($0.utf8) }, speculation: speculation,
            grammar: grammar)
    }
}

/// What one answer cost.
public struct ResponseStats: Sendable, Equatable {
    public enum FinishReason: String, Sendable {
        case endOfGeneration = "stop", maxTokens = "length", stopString = "stop_string"
        case contextFull = "context_full", cancelled
    }

    /// Tokens evaluated before the first answer token (only what was new in a session).
    public var promptTokens: Int
    public var generatedTokens: Int
    public var timeToFirstToken: Duration
    public var prefillDuration: Duration
    public var decodeDuration: Duration
    public var finishReason: FinishReason
    /// Tokens drafted for verification while answering, and those of them accepted.
    public var draftedTokens = 0
    public var acceptedTokens = 0

    public var prefillTokensPerSecond: Double { Double(promptTokens) / max(prefillDuration.seconds, 1e-9) }
    /// Tokens after the first, over the time they took.
    public var decodeTokensPerSecond: Double {
        Double(max(generatedTokens - 1, 0)) / max(decodeDuration.seconds, 1e-9)
    }
}

extension Duration {
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
