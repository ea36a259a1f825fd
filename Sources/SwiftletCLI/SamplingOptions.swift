import ArgumentParser
import Foundation
import Swiftlet
import SwiftletCore

/// How answers are generated, shared by `run` and `chat`. Defaults are the core's.
struct SamplingOptions: ParsableArguments {
    private static let defaults = SamplingParameters.defaults

    @Option(help: "Where the model runs: cpu, gpu (WebGPU through wgpu-native) or auto (the faster of the two on this model).")
    var backend = Backend.cpu

    @Option(help: "Maximum tokens to generate.")
    var maxTokens = GenerationOptions.defaultMaxTokens

    @Option(help: "Sampling temperature (0: greedy).")
    var temperature: Float = defaults.temperature

    @Option(help: "Keep the k most likely tokens (0: all).")
    var topK = defaults.topK

    @Option(help: "Nucleus sampling threshold (1: off).")
    var topP: Float = defaults.topP

    @Option(help: "Drop tokens below min-p × the top probability (0: off).")
    var minP: Float = defaults.minP

    @Option(help: "Penalty for repeating recent tokens (1: off).")
    var repeatPenalty: Float = defaults.repetitionPenalty

    @Option(help: "Random seed.")
    var seed: UInt64 = defaults.seed

    @Option(help: "Stop the answer at this text (repeatable).")
    var stop: [String] = []

    @Option(help: "Draft tokens from the context and verify them in one batch: auto (while it pays), ngram (always) or off. The answer is the same.")
    var speculate = GenerationOptions.defaultSpeculation

    @Option(help: "Answer with JSON valid against this JSON Schema: a file, or the schema itself.")
    var jsonSchema: String?

    @Option(help: "Answer with a sentence of this GBNF grammar (a file; its start rule is root).")
    var grammar: String?

    @Option(help: "Context size in tokens.")
    var context = Session.defaultContextSize

    @Option(help: "Threads to use (default: all cores).")
    var threads = ThreadPool.defaultThreadCount

    /// The options these flags give; a schema or grammar that cannot be read is an error naming why.
    func responseOptions() throws -> ResponseOptions {
        var options = ResponseOptions(
            maxTokens: maxTokens, topK: topK, temperature: temperature, randomSeed: seed, topP: topP, minP: minP,
            repetitionPenalty: repeatPenalty, stopStrings: stop, speculation: speculate)
        if jsonSchema != nil && grammar != nil { throw ValidationError("--json-schema and --grammar cannot be used together") }
        if let jsonSchema {
            // A schema is a JSON object or boolean; anything else names a file.
            let first = jsonSchema.drop { $0 == " " || $0 == "\n" }.first
            let text = first == "{" || jsonSchema == "true" ? Array(jsonSchema.utf8) : try Self.read(jsonSchema, "--json-schema")
            do { options.grammar = try Grammar(jsonSchema: text) } catch { throw CLIError("--json-schema: \(error)") }
        }
        if let grammar {
            do { options.grammar = try Grammar(gbnf: try Self.read(grammar, "--grammar")) } catch let error as GrammarError {
                throw CLIError("--grammar \(grammar): \(error)")
            }
        }
        return options
    }

    private static func read(_ path: String, _ flag: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(flag): cannot read the file \(path)") }
        return Array(data)
    }
}

extension Backend: ExpressibleByArgument {}

extension Speculation: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument.utf8) }
    public static var allValueStrings: [String] { ["auto", "ngram", "off"] }
    public var defaultValueDescription: String {
        switch self {
        case .off: "off"
        case .ngram: "ngram"
        case .auto: "auto"
        }
    }
}
