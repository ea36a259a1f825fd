import ArgumentParser
import Swiftlet

/// How answers are generated, shared by `run` and `chat`.
struct SamplingOptions: ParsableArguments {
    @Option(help: "Maximum tokens to generate.")
    var maxTokens = 256

    @Option(help: "Sampling temperature (0: greedy).")
    var temperature: Float = 0.8

    @Option(help: "Keep the k most likely tokens (0: all).")
    var topK = 40

    @Option(help: "Nucleus sampling threshold (1: off).")
    var topP: Float = 0.95

    @Option(help: "Drop tokens below min-p × the top probability (0: off).")
    var minP: Float = 0.05

    @Option(help: "Penalty for repeating recent tokens (1: off).")
    var repeatPenalty: Float = 1

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Option(help: "Stop the answer at this text (repeatable).")
    var stop: [String] = []

    @Option(help: "Context size in tokens.")
    var context = 2048

    @Option(help: "Threads to use (default: all cores).")
    var threads = ThreadPool.defaultThreadCount

    var responseOptions: ResponseOptions {
        ResponseOptions(
            maxTokens: maxTokens, topK: topK, temperature: temperature, randomSeed: seed, topP: topP, minP: minP,
            repetitionPenalty: repeatPenalty, stopStrings: stop)
    }
}
