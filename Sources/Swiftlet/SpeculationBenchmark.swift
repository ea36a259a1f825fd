import Foundation
import SwiftletCore

/// Decode speed with drafting against without, on a set of tasks: each answered greedily
/// with speculation off, then in each mode, checking that the tokens are the same.
public struct SpeculationBenchmark {
    /// One prompt of the task set (scripts/speculation-tasks.json).
    public struct Task: Sendable, Decodable {
        public var name: String
        /// "grounded" (the answer copies from the prompt: rewrite, extract, edit) or "free".
        public var kind: String
        public var prompt: String
    }

    public struct Row: Sendable {
        public var task: Task
        public var generatedTokens: Int
        /// Decode tokens per second with speculation off (the best of the repetitions).
        public var plain: Double
        public var modes: [Mode]
    }

    public struct Mode: Sendable {
        public var speculation: Speculation
        public var tokensPerSecond: Double
        public var drafted: Int, accepted: Int
        /// Whether the answer was the same tokens as with speculation off.
        public var identical: Bool
    }

    public var threads = ThreadPool.defaultThreadCount
    public var maxTokens = 128
    public var repetitions = 3
    public var modes: [Speculation] = [.ngram, .auto]

    public init() {}

    public func run(path: String, tasks: [Task], progress: (String) -> Void = { _ in }) throws -> [Row] {
        let model = try LoadedModel(path: path)
        let pool = ThreadPool(threadCount: threads)
        let session = Session(
            model: model.transformer, tokenizer: model.tokenizer, contextSize: Session.defaultContextSize,
            parallel: pool.parallelFor)
        session.clock = Session.monotonicSeconds
        let formatter = try? ChatFormatter(model.file.gguf, tokenizer: model.tokenizer)
        return try tasks.map { task in
            progress(task.name)
            let prompt = try formatter?.tokens([ChatMessage(role: "user", content: task.prompt)])
                ?? model.tokenizer.encode(task.prompt)
            let plain = try best(session, prompt, .off)
            let modes = try self.modes.map { mode in
                let run = try best(session, prompt, mode)
                return Mode(
                    speculation: mode, tokensPerSecond: run.speed, drafted: run.drafted, accepted: run.accepted,
                    identical: run.tokens == plain.tokens)
            }
            return Row(task: task, generatedTokens: plain.tokens.count, plain: plain.speed, modes: modes)
        }
    }

    /// The fastest of the repetitions of one greedy answer: decode speed after the first token.
    private func best(_ session: Session, _ prompt: [Int32], _ speculation: Speculation) throws
        -> (tokens: [Int32], speed: Double, drafted: Int, accepted: Int)
    {
        var result: (tokens: [Int32], speed: Double, drafted: Int, accepted: Int) = ([], 0, 0, 0)
        let clock = ContinuousClock()
        for _ in 0..<repetitions {
            session.reset()
            let (drafted, accepted) = (session.draftedTokenCount, session.acceptedTokenCount)
            try session.start(prompt: prompt, options: GenerationOptions(maxTokens: maxTokens, sampling: .greedy, speculation: speculation))
            _ = try session.next()
            let begin = clock.now
            while try session.next() != nil {}
            let seconds = (clock.now - begin).seconds
            let speed = Double(session.answerTokens.count - 1) / max(seconds, 1e-9)
            if speed > result.speed {
                result = (session.answerTokens, speed, session.draftedTokenCount - drafted, session.acceptedTokenCount - accepted)
            }
        }
        return result
    }
}
