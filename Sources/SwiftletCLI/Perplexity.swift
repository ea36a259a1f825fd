import ArgumentParser
import Foundation
import Swiftlet
import SwiftletCore

struct Perplexity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a model's perplexity on a text file, as llama-perplexity does.")

    @Argument(help: "A stored model's name, a known model (pulled on first use), or a path to a .gguf file.")
    var model: String

    @Argument(help: "A UTF-8 text file.")
    var file: String

    @Option(name: .shortAndLong, help: "Context size: tokens per chunk.")
    var context = 512

    @Option(help: "Score at most this many chunks (default: every whole chunk of the text).")
    var chunks: Int?

    @Option(help: "Threads to use (default: all cores).")
    var threads = ThreadPool.defaultThreadCount

    @Flag(help: "Print JSON: the perplexity, the cumulative figure after each chunk, and the counts.")
    var json = false

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if let chunks, chunks < 1 { throw ValidationError("--chunks must be at least 1") }
        if context < 2 { throw ValidationError("--context must be at least 2") }
    }

    func run() async throws {
        let path = try await ModelOptions(model: model, storeOptions: storeOptions).resolvePath()
        let loaded: LoadedModel
        do { loaded = try LoadedModel(path: path) } catch { throw CLIError(error.description) }
        guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
        var text = [UInt8](data)
        if text.last == 0x0a { text.removeLast() }  // llama-perplexity drops one final newline
        let tokens = text.withUnsafeBytes { loaded.tokenizer.encode($0, addSpecial: true) }
        let pool = ThreadPool(threadCount: threads)
        let session = Session(model: loaded.transformer, tokenizer: loaded.tokenizer, contextSize: context,
                              parallel: pool.parallelFor)
        let result: PerplexityResult
        do { result = try session.perplexity(of: tokens, maxChunks: chunks ?? Int.max) } catch { throw CLIError(error.description) }
        var cumulative: [Double] = []
        var sum = 0.0
        for (i, nll) in result.chunkNLL.enumerated() {
            sum += nll
            cumulative.append(exp(sum / Double(i + 1)))
        }
        if json {
            print(JSON.object([
                ("perplexity", .double(result.perplexity)),
                ("cumulative_perplexity", .array(cumulative.map(JSON.double))),
                ("chunks", .int(Int64(result.chunks))), ("context", .int(Int64(context))),
                ("scored_tokens", .int(Int64(result.scoredTokens))), ("text_tokens", .int(Int64(tokens.count))),
            ]).rendered(indent: 1))
            return
        }
        for (i, figure) in cumulative.enumerated() { print("[\(i + 1)] \(String(format: "%.4f", figure))") }
        print("perplexity \(String(format: "%.4f", result.perplexity)) over \(result.chunks) chunks of \(context) tokens (\(result.scoredTokens) scored, \(tokens.count) in the text)")
    }
}
