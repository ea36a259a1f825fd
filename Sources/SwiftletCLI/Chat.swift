import ArgumentParser
import Dispatch
import Foundation
import Swiftlet

struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Talk with a model: a multi-turn conversation, answers streamed as they come.",
        discussion: "/reset starts over, /stats shows the last answer's figures, /exit (or Ctrl-D) quits. Ctrl-C stops the current answer.")

    @OptionGroup var model: ModelOptions

    @Option(help: "A system message that opens the conversation.")
    var system: String?

    @OptionGroup var sampling: SamplingOptions

    func run() async throws {
        let options = try sampling.responseOptions()
        let path = try await model.resolvePath()
        let languageModel = try await LanguageModel(
            path: path, configuration: .init(contextSize: sampling.context, threads: sampling.threads, backend: sampling.backend))
        if let note = languageModel.backend.note { write(note + "\n") }
        let session = try await languageModel.makeSession(system: system)
        let interrupt = Interrupt()
        write("Loaded \(path) in \(Int(languageModel.loadDuration.seconds * 1000)) ms. /reset starts over, /exit quits, Ctrl-C stops an answer.\n")

        while true {
            write("> ")
            guard let line = readLine() else { write("\n"); break }
            switch line.trimmingCharacters(in: .whitespaces) {
            case "": continue
            case "/exit", "/quit": return
            case "/reset":
                await session.reset()
                write("(conversation cleared)\n")
                continue
            case "/stats":
                if let stats = await session.lastResponseStats { write(Self.describe(stats) + "\n") }
                continue
            default: break
            }
            let answer = Task {
                for try await chunk in session.streamResponse(to: line, options: options) {
                    write(chunk)
                }
            }
            interrupt.whileRunning(answer)
            if case let .failure(error) = await answer.result, !(error is CancellationError) {
                write("\nerror: \(error)\n")
            }
            interrupt.whileRunning(nil)
            write(answer.isCancelled ? " [stopped]\n" : "\n")
        }
    }

    static func describe(_ stats: ResponseStats) -> String {
        String(
            format: "%d prompt tokens, %d generated; first token after %.0f ms; prefill %.1f t/s, decode %.1f t/s; %d drafted, %d accepted (%@)",
            stats.promptTokens, stats.generatedTokens, stats.timeToFirstToken.seconds * 1000,
            stats.prefillTokensPerSecond, stats.decodeTokensPerSecond, stats.draftedTokens, stats.acceptedTokens,
            stats.finishReason.rawValue)
    }
}

/// Writes to standard output at once (no buffering: answers appear token by token).
func write(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// Ctrl-C cancels the answer being generated; with none running it ends the program.
final class Interrupt: @unchecked Sendable {
    private let source = DispatchSource.makeSignalSource(signal: SIGINT)
    private let lock = NSLock()
    private var current: Task<Void, any Error>?

    init() {
        signal(SIGINT, SIG_IGN)
        source.setEventHandler { [unowned self] in
            lock.lock()
            defer { lock.unlock() }
            guard let current else { write("\n"); Foundation.exit(130) }
            current.cancel()
        }
        source.resume()
    }

    func whileRunning(_ task: Task<Void, any Error>?) {
        lock.lock()
        current = task
        lock.unlock()
    }
}
