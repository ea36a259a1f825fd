import ArgumentParser
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

    @Option(help: "Context size in tokens.")
    var context = Session.defaultContextSize

    @Option(help: "Threads to use (default: all cores).")
    var threads = ThreadPool.defaultThreadCount

    var responseOptions: ResponseOptions {
        ResponseOptions(
            maxTokens: maxTokens, topK: topK, temperature: temperature, randomSeed: seed, topP: topP, minP: minP,
            repetitionPenalty: repeatPenalty, stopStrings: stop, speculation: speculate)
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
