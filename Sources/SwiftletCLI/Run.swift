import ArgumentParser
import Foundation
import Swiftlet
import SwiftletCore

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a continuation of a prompt, printing tokens as they come.")

    @OptionGroup var model: ModelOptions

    @Option(name: .shortAndLong, help: "The prompt.")
    var prompt: String

    @Flag(help: "Treat the prompt as a user message and apply the model's chat template.")
    var chat = false

    @Option(help: "A system message (with --chat).")
    var system: String?

    @OptionGroup var sampling: SamplingOptions

    @Flag(help: "Print one JSON object at the end (prompt and generated token ids, text, timings).")
    var json = false

    func run() async throws {
        let options = try sampling.responseOptions()
        let path = try await model.resolvePath()
        let clock = ContinuousClock()
        let loadStart = clock.now
        let loaded: LoadedModel
        do { loaded = try LoadedModel(path: path) } catch { throw CLIError(error.description) }
        let pool = ThreadPool(threadCount: sampling.threads)
        let (gpu, choice): (GPUModel?, BackendChoice)
        do { (gpu, choice) = try await sampling.backend.open(loaded, pool: pool) } catch { throw CLIError("\(error)") }
        if let note = choice.note { FileHandle.standardError.write(Data((note + "\n").utf8)) }
        let device: DeviceForward?
        do { device = try gpu?.makeForward(contextSize: sampling.context, maxBatch: Session.defaultMaxBatch) } catch { throw CLIError(error.description) }
        let loadTime = clock.now - loadStart

        let promptTokens: [Int32]
        if chat {
            var messages = system.map { [ChatMessage(role: "system", content: $0)] } ?? []
            messages.append(ChatMessage(role: "user", content: prompt))
            do {
                promptTokens = try ChatFormatter(loaded.file.gguf, tokenizer: loaded.tokenizer).tokens(messages)
            } catch { throw CLIError(error.description) }
        } else {
            promptTokens = loaded.tokenizer.encode(prompt, addSpecial: true, parseSpecial: false)
        }
        let session = Session(
            model: loaded.transformer, tokenizer: loaded.tokenizer, contextSize: sampling.context, parallel: pool.parallelFor,
            device: device)
        session.clock = Session.monotonicSeconds
        if options.grammar != nil { _ = session.tokenTrie }  // built once, outside the timings
        let start = clock.now
        do {
            try session.start(prompt: promptTokens, options: options.generation)
        } catch { throw CLIError(error.description) }
        let prefillTime = clock.now - start

        var generated: [Int32] = []
        var text: [UInt8] = []
        var reason = FinishReason.maxTokens
        var firstToken: Duration?
        while let event = try nextEvent(session) {
            switch event {
            case let .token(token, piece):
                if firstToken == nil { firstToken = clock.now - start }
                generated.append(token)
                text += piece
                if !json { FileHandle.standardOutput.write(Data(piece)) }
            case let .finished(why):
                reason = why
            }
        }
        let rest = session.remainingText()
        text += rest
        let total = clock.now - start
        if json {
            let decodeSeconds = (total - prefillTime).seconds
            print(JSON.object([
                ("prompt_tokens", .array(promptTokens.map { .int(Int64($0)) })),
                ("generated_tokens", .array(generated.map { .int(Int64($0)) })),
                ("text", .string(String(decoding: text, as: UTF8.self))),
                ("finish_reason", .string("\(reason)")),
                ("backend", .string(choice.summary)),
                ("load_seconds", .double(loadTime.seconds)),
                ("time_to_first_token_seconds", .double((firstToken ?? total).seconds)),
                ("prefill_tokens_per_second", .double(Double(promptTokens.count) / max(prefillTime.seconds, 1e-9))),
                ("decode_tokens_per_second", .double(Double(max(generated.count - 1, 0)) / max(decodeSeconds, 1e-9))),
                ("drafted_tokens", .int(Int64(session.draftedTokenCount))),
                ("accepted_tokens", .int(Int64(session.acceptedTokenCount))),
            ]).rendered())
        } else {
            FileHandle.standardOutput.write(Data(rest + [0x0a]))
        }
    }

    private func nextEvent(_ session: Session) throws -> GenerationEvent? {
        do { return try session.next() } catch { throw CLIError(error.description) }
    }
}

