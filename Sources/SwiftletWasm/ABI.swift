import SwiftletCore

// What `swiftlet_abi` describes, so that JavaScript restates none of it: the ABI's version,
// the integer codes that cross it (errors, finish reasons, prompt kinds, grammar kinds), the slots of
// `swiftlet_stats` and of `swiftlet_start`'s sampling settings, and the core's defaults.

/// The version of the exports' signatures and meanings. Bump it on any change that an older
/// swiftlet-core.js would misread; that file refuses a module of a version it does not know.
let abiVersion = 1

/// A closed set that crosses the ABI as integers. A case's name is its raw value and its
/// code is its position, so each is written once: append new cases, never reorder them.
protocol ABIEnumeration: CaseIterable, RawRepresentable<String>, Equatable {}

extension ABIEnumeration {
    var code: Int32 {
        var position: Int32 = 0
        for value in Self.allCases {
            if value == self { break }
            position += 1
        }
        return position
    }

    init?(code: Int32) {
        guard code >= 0, let value = Self.allCases.dropFirst(Int(code)).first else { return nil }
        self = value
    }

    /// `{"name":code,…}`.
    static var codesJSON: String {
        "{" + allCases.map { "\(jsonString($0.rawValue)):\($0.code)" }.joined(separator: ",") + "}"
    }

    /// `["name",…]`, in code order.
    static var namesJSON: String {
        "[" + allCases.map { jsonString($0.rawValue) }.joined(separator: ",") + "]"
    }
}

/// What went wrong in the last call that failed, for `swiftlet_error_code`.
enum ErrorCode: String, ABIEnumeration {
    case none, badArgument, outOfMemory, invalidModel, chatTemplate, generation
    /// A grammar or JSON schema of `swiftlet_set_grammar` that cannot be read (the message says where).
    case invalidGrammar
}

/// Why an answer ended (`none` while it goes on).
enum FinishCode: String, ABIEnumeration {
    case none, endOfGeneration, maxTokens, stopString, contextFull, cancelled

    init(_ reason: FinishReason) {
        self = switch reason {
        case .endOfGeneration: .endOfGeneration
        case .maxTokens: .maxTokens
        case .stopString: .stopString
        case .contextFull: .contextFull
        }
    }
}

/// What `input` of `swiftlet_start` holds.
enum PromptKind: String, ABIEnumeration {
    /// UTF-8 text continued as is (BOS added where the model wants one).
    case raw
    /// Chat messages, each as u32 role length, role, u32 content length, content (UTF-8,
    /// little-endian lengths), rendered with the model's chat template.
    case chat
}

/// What `swiftlet_set_grammar`'s bytes hold: what the answers after it must be.
enum GrammarKind: String, ABIEnumeration {
    /// No constraint: free text (the bytes are ignored).
    case none
    /// A GBNF grammar (UTF-8) whose start rule is `root`.
    case gbnf
    /// A JSON Schema (JSON text): the answer is JSON valid against it.
    case jsonSchema
    /// Any JSON object (the bytes are ignored).
    case jsonObject

    /// The grammar `bytes` give; nil for `none`. A grammar or schema that cannot be read
    /// throws its description (where and what).
    func grammar(_ bytes: [UInt8]) throws(GrammarProblem) -> Grammar? {
        switch self {
        case .none: return nil
        case .jsonObject: return Grammar.anyJSONObject
        case .gbnf:
            do { return try Grammar(gbnf: bytes) } catch { throw GrammarProblem(message: error.description) }
        case .jsonSchema:
            // "JSON schema at /properties/age: …", or "schema: …" for the schema as a whole.
            do { return try Grammar(jsonSchema: bytes) } catch {
                throw GrammarProblem(message: error.path.isEmpty ? error.description : "JSON schema \(error.description)")
            }
        }
    }
}

/// A grammar or schema that cannot be read, named in `message`.
struct GrammarProblem: Error {
    let message: String
}

/// The i32 slots `swiftlet_stats` writes, in this order.
enum StatsField: String, ABIEnumeration {
    case promptTokens, generatedTokens, tokensInContext, contextSize, finishReason, reusedTokens
    /// Of the current answer: tokens drafted for verification, and those accepted.
    case draftedTokens, acceptedTokens
}

/// How the `speculation` sampling slot names the core's `Speculation`.
enum SpeculationCode: String, ABIEnumeration {
    case off, ngram, auto

    init(_ speculation: Speculation) {
        self = switch speculation {
        case .off: .off
        case .ngram: .ngram
        case .auto: .auto
        }
    }

    var speculation: Speculation {
        switch self {
        case .off: .off
        case .ngram: .ngram
        case .auto: .auto
        }
    }
}

/// The f64 slots of `swiftlet_start`'s sampling settings, in this order. Doubles carry
/// every field exactly (whole numbers up to 2^53, and f32 values), so one array serves all.
enum SamplingField: String, ABIEnumeration {
    case maxTokens, temperature, topK, topP, minP, repetitionPenalty, randomSeed
    /// A `SpeculationCode`: whether tokens are drafted and verified in batches.
    case speculation

    /// The core's default, as JSON: what a caller who names nothing gets, natively too.
    var defaultJSON: String {
        let defaults = SamplingParameters.defaults
        return switch self {
        case .maxTokens: "\(GenerationOptions.defaultMaxTokens)"
        case .temperature: "\(defaults.temperature)"
        case .topK: "\(defaults.topK)"
        case .topP: "\(defaults.topP)"
        case .minP: "\(defaults.minP)"
        case .repetitionPenalty: "\(defaults.repetitionPenalty)"
        case .randomSeed: "\(defaults.seed)"
        case .speculation: "\(SpeculationCode(GenerationOptions.defaultSpeculation).code)"
        }
    }

    /// Sets this field of `options` from `value`; a value out of range throws, naming the range.
    func read(_ value: Double, into options: inout GenerationOptions) throws(SamplingProblem) {
        switch self {
        case .maxTokens:
            guard let count = wholeNumber(value, upTo: Double(Int32.max)) else { throw problem(value, "a whole number, at least 0") }
            options.maxTokens = Int(count)
        case .temperature:
            guard value >= 0, Float(value).isFinite else { throw problem(value, "a number, at least 0 (0: greedy)") }
            options.sampling.temperature = Float(value)
        case .topK:
            guard let k = wholeNumber(value, upTo: Double(Int32.max)) else { throw problem(value, "a whole number, at least 0 (0: all)") }
            options.sampling.topK = Int(k)
        case .topP:
            guard value >= 0, value <= 1 else { throw problem(value, "a number in 0...1 (1: all)") }
            options.sampling.topP = Float(value)
        case .minP:
            guard value >= 0, value <= 1 else { throw problem(value, "a number in 0...1 (0: none)") }
            options.sampling.minP = Float(value)
        case .repetitionPenalty:
            guard value > 0, Float(value).isFinite else { throw problem(value, "a number above 0 (1: off)") }
            options.sampling.repetitionPenalty = Float(value)
        case .randomSeed:
            guard let seed = wholeNumber(value, upTo: 9_007_199_254_740_991) else { throw problem(value, "a whole number in 0...2^53-1") }
            options.sampling.seed = seed
        case .speculation:
            guard let code = wholeNumber(value, upTo: 2), let mode = SpeculationCode(code: Int32(code)) else {
                throw problem(value, "a code of speculationModes")
            }
            options.speculation = mode.speculation
        }
    }

    private func problem(_ value: Double, _ takes: String) -> SamplingProblem {
        SamplingProblem(message: "\(rawValue) must be \(takes), not \(value)")
    }
}

/// A sampling setting out of range, named in `message`.
struct SamplingProblem: Error {
    let message: String
}

/// `value` as a whole number in 0...`limit`; nil for fractions, NaN and values outside.
private func wholeNumber(_ value: Double, upTo limit: Double) -> UInt64? {
    guard value >= 0, value <= limit, value.rounded(.towardZero) == value else { return nil }
    return UInt64(value)
}

/// Generation options from `swiftlet_start`'s sampling slots, in `SamplingField` order.
func readGenerationOptions(_ slots: UnsafeBufferPointer<Double>) throws(SamplingProblem) -> GenerationOptions {
    guard slots.count == SamplingField.allCases.count else {
        throw SamplingProblem(message: "expected \(SamplingField.allCases.count) sampling values, got \(slots.count)")
    }
    var options = GenerationOptions()
    for (field, value) in zip(SamplingField.allCases, slots) { try field.read(value, into: &options) }
    return options
}

/// The document `swiftlet_abi` writes.
var abiDescriptionJSON: String {
    let sampling = SamplingField.allCases.map { "{\"name\":\(jsonString($0.rawValue)),\"default\":\($0.defaultJSON)}" }
    return "{\"abiVersion\":\(abiVersion),\"errorCodes\":\(ErrorCode.codesJSON),"
        + "\"finishReasons\":\(FinishCode.codesJSON),\"promptKinds\":\(PromptKind.codesJSON),"
        + "\"stats\":\(StatsField.namesJSON),\"sampling\":[\(sampling.joined(separator: ","))],"
        + "\"speculationModes\":\(SpeculationCode.codesJSON),\"grammarKinds\":\(GrammarKind.codesJSON),"
        + "\"defaultContextSize\":\(Session.defaultContextSize)}"
}
