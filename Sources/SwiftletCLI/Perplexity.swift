import ArgumentParser
import Foundation
import Swiftlet
import SwiftletCore

struct Perplexity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a model's perplexity on a text file, as llama-perplexity does.")

    @Argument(help: "Path to a .gguf file.")
    var model: String

    @Argument(help: "A UTF-8 text file.")
    var file: String

    @Option(name: .shortAndLong, help: "Context size: tokens per chunk.")
    var context = 512

    @Option(help: "Score at most this many chunks.")
    var chunks = Int.max

    @Option(help: "Threads to use (default: all cores).")
    var threads = ThreadPool.defaultThreadCount

    func run() throws {
        let loaded: LoadedModel
        do { loaded = try LoadedModel(path: model) } catch { throw CLIError(error.description) }
        var text = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        if text.last == 0x0a { text.removeLast() }  // llama-perplexity drops one final newline
        let tokens = text.withUnsafeBytes { loaded.tokenizer.encode($0, addSpecial: true) }
        let pool = ThreadPool(threadCount: threads)
        let session = Session(model: loaded.transformer, tokenizer: loaded.tokenizer, contextSize: context,
                              parallel: pool.parallelFor)
        let result: PerplexityResult
        do { result = try session.perplexity(of: tokens, maxChunks: chunks) } catch { throw CLIError(error.description) }
        var cumulative = 0.0
        for (i, nll) in result.chunkNLL.enumerated() {
            cumulative += nll
            print("[\(i + 1)] \(String(format: "%.4f", exp(cumulative / Double(i + 1))))")
        }
        print("perplexity \(String(format: "%.4f", result.perplexity)) over \(result.chunks) chunks of \(context) tokens (\(result.scoredTokens) scored, \(tokens.count) in the text)")
    }
}
