import Swiftlet
import SwiftletCore
import Testing

extension RealModels {
    /// Drafting on the real models gives the answer decode gives: the same greedy tokens, the
    /// same ends (stop strings, token limits), and a session that goes on as if nothing had
    /// been drafted.
    @Suite struct SpeculationTests {
        typealias Fidelity = ModelFidelityTests

        /// Copying prompts, where drafts are accepted (the fidelity cases are mostly prose).
        static let groundedPrompts = [
            "Repeat this list exactly: apples, bananas, cherries, dates, elderberries, figs, grapes, honeydew melon.",
            "Fix the spelling and repeat the sentence: The quick brown fox jumpd over the lazy dog, and then the dog chased the fox acros the field.",
        ]

        static func session(_ model: LoadedModel) -> Session {
            Session(model: model.transformer, tokenizer: model.tokenizer, contextSize: 1024, parallel: Fidelity.pool.parallelFor)
        }

        /// The prompts of both kinds as the model reads them.
        static func prompts(_ index: Int, _ model: LoadedModel) throws -> [[Int32]] {
            let reference = try Fidelity.fixture("generation/\(Fidelity.models[index].0).json", as: Fidelity.GenerationReference.self)
            let formatter = try ChatFormatter(model.file.gguf, tokenizer: model.tokenizer)
            return try reference.cases.map(\.prompt_ids)
                + groundedPrompts.map { try formatter.tokens([ChatMessage(role: "user", content: $0)]) }
        }

        struct Answer: Equatable {
            var tokens: [Int32] = []
            var text: [UInt8] = []
            var finish: FinishReason?
        }

        /// An answer, given `limit` tokens (nil: to its end); the session is left where it stops.
        static func answer(
            _ session: Session, _ prompt: [Int32], _ speculation: Speculation, maxTokens: Int = 96,
            stop: [[UInt8]] = [], limit: Int? = nil, grammar: Grammar? = nil
        ) throws -> Answer {
            var answer = Answer()
            try session.start(prompt: prompt, options: GenerationOptions(
                maxTokens: maxTokens, sampling: .greedy, stopStrings: stop, speculation: speculation, grammar: grammar))
            while answer.tokens.count < limit ?? .max, let event = try session.next() {
                switch event {
                case let .token(token, text):
                    answer.tokens.append(token)
                    answer.text += text
                case let .finished(reason):
                    answer.finish = reason
                    answer.text += session.remainingText()
                }
            }
            return answer
        }

        /// A verification pass (`decodeArithmetic`) gives every row the logits that decoding
        /// its tokens one at a time gives, bit for bit: the reason drafted answers are decode's.
        @Test(arguments: [0, 1])
        func verificationPassesComputeWhatDecodeComputes(_ index: Int) throws {
            let model = try Fidelity.load(index)
            let vocabulary = model.transformer.config.vocabularySize
            let prompt = try Self.prompts(index, model).last!
            let continuation = Array(prompt.suffix(DraftPolicy.maxLength + 1))
            let (oneByOne, verifying) = (Self.session(model), Self.session(model))
            try oneByOne.append(prompt)
            try verifying.append(prompt)
            var decoded: [[Float]] = []
            for token in continuation {
                try oneByOne.evaluate([token]) { _, logits in decoded.append(Array(UnsafeBufferPointer(start: logits, count: vocabulary))) }
            }
            var rows = 0
            try verifying.evaluate(continuation, decodeArithmetic: true) { row, logits in
                #expect(Array(UnsafeBufferPointer(start: logits, count: vocabulary)) == decoded[row], "row \(row)")
                rows += 1
            }
            #expect(rows == continuation.count)
        }

        @Test(arguments: [0, 1])
        func greedyTokensAreTheSameWithDrafting(_ index: Int) throws {
            let model = try Fidelity.load(index)
            let (off, drafting) = (Self.session(model), Self.session(model))
            var accepted = 0
            for prompt in try Self.prompts(index, model) {
                let plain = try Self.answer(off, prompt, .off)
                let before = drafting.acceptedTokenCount
                #expect(try Self.answer(drafting, prompt, .ngram) == plain, "\(Fidelity.models[index].0): \(prompt.count)-token prompt")
                accepted += drafting.acceptedTokenCount - before
                off.reset()
                drafting.reset()
            }
            print("speculation: \(Fidelity.models[index].0): \(drafting.acceptedTokenCount) of \(drafting.draftedTokenCount) drafted tokens accepted")
            #expect(accepted > 20, "drafts were hardly accepted: the check above compared decode with itself")
            #expect(off.draftedTokenCount == 0)
        }

        /// A stop string and a token limit end a drafted answer where they end decode's, even
        /// when the verification pass decided tokens beyond them.
        @Test func stopStringsAndLimitsEndDraftedAnswersAsDecodeDoes() throws {
            let model = try Fidelity.load(0)
            let prompt = try Self.prompts(0, model).last!
            let (off, drafting) = (Self.session(model), Self.session(model))
            let full = try Self.answer(off, prompt, .off)
            try #require(full.text.count >= 24, "a short answer: \(String(decoding: full.text, as: UTF8.self))")
            let middle = full.text.count / 2
            let stop = Array(full.text[middle..<(middle + 6)])
            for (maxTokens, stops) in [(96, [stop]), (full.tokens.count / 2, [])] {
                off.reset()
                drafting.reset()
                let plain = try Self.answer(off, prompt, .off, maxTokens: maxTokens, stop: stops)
                #expect(plain.finish == (stops.isEmpty ? .maxTokens : .stopString))
                #expect(try Self.answer(drafting, prompt, .ngram, maxTokens: maxTokens, stop: stops) == plain)
                #expect(drafting.tokens == off.tokens, "the cache holds what the answer holds")
            }
            #expect(drafting.acceptedTokenCount > 0)
        }

        /// After an answer cut short (a caller that stopped asking) and after a whole one, the
        /// next turn continues from what was returned, as it does without drafting.
        @Test func conversationsGoOnAfterDraftedAnswers() throws {
            let model = try Fidelity.load(0)
            let prompts = try Self.prompts(0, model).suffix(2)
            let followUp = model.tokenizer.encode("<|im_end|>\n<|im_start|>user\nSay it again.<|im_end|>\n<|im_start|>assistant\n",
                                                  addSpecial: false, parseSpecial: true)
            for limit in [7, nil] as [Int?] {
                var answers: [[Answer]] = []
                for speculation in [Speculation.off, .ngram] {
                    let session = Self.session(model)
                    answers.append([
                        try Self.answer(session, prompts.first!, speculation, limit: limit),
                        try Self.answer(session, followUp, speculation),
                        try Self.answer(session, prompts.last!, speculation),
                    ])
                }
                #expect(answers[1] == answers[0], "cut after \(limit ?? -1) tokens")
            }
        }
    }
}
