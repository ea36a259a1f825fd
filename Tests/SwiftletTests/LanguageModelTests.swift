import Swiftlet
import SwiftletCore
import Testing

extension RealModels {
    /// The engine actor on the real SmolLM2: answers, streams, cancellation, sessions.
    @Suite struct LanguageModelTests {
        static let greedy = ResponseOptions(maxTokens: 64, temperature: 0)

        func load() async throws -> LanguageModel {
            try await LanguageModel(path: try TestModels.smolLM2.get(), configuration: .init(contextSize: 1024, threads: 2))
        }

        /// Tokens of chat-formatted text (special tokens parsed, no BOS).
        func tokens(_ model: LanguageModel, _ text: String) -> Int {
            model.model.tokenizer.encode(text, addSpecial: false, parseSpecial: true).count
        }

        @Test func answersAndStreamsTheSameText() async throws {
            let model = try await load()
            let question = "Explain what a prime number is in one sentence."
            let answer = try await model.generateResponse(question, options: Self.greedy)
            #expect(answer.hasPrefix("A prime number is a positive integer greater than 1"))

            var streamed = ""
            var chunks = 0
            for try await chunk in model.generateResponseStream(question, options: Self.greedy) {
                streamed += chunk
                chunks += 1
            }
            #expect(streamed == answer)
            #expect(chunks > 10)
            let stats = try #require(await model.lastResponseStats)
            #expect(stats.finishReason == .endOfGeneration)
            #expect(stats.promptTokens == tokens(model, "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\n\(question)<|im_end|>\n<|im_start|>assistant\n"))
            #expect(stats.prefillTokensPerSecond > 0 && stats.decodeTokensPerSecond > 0)
        }

        @Test func stopStringsEndTheAnswerBeforeThem() async throws {
            let model = try await load()
            let options = ResponseOptions(maxTokens: 64, temperature: 0, stopStrings: [" integer"])
            let answer = try await model.generateResponse("Explain what a prime number is in one sentence.", options: options)
            #expect(answer == "A prime number is a positive")
            #expect(await model.lastResponseStats?.finishReason == .stopString)
        }

        @Test func droppingAStreamStopsGenerationWithinOneToken() async throws {
            let model = try await load()
            let options = ResponseOptions(maxTokens: 500, temperature: 0.8, randomSeed: 7)
            var received = 0
            for try await _ in model.generateResponseStream("Write a long story about a lighthouse keeper.", options: options) {
                received += 1
                if received == 5 { break }
            }
            // The actor answers this after the generation has ended.
            let stats = try #require(await model.lastResponseStats)
            #expect(stats.finishReason == .cancelled)
            #expect(stats.generatedTokens <= received + 1)
        }

        /// Cancelling the task that awaits an answer stops it before the next token. No timing
        /// is involved: the task is cancelled once the first piece has arrived, and greedy
        /// decoding of this count runs to the token limit when nothing stops it (checked first),
        /// so an early end cannot pass for a cancellation.
        @Test func cancellingTheTaskStopsGeneration() async throws {
            let model = try await load()
            let prompt = "1, 2, 3, 4, 5, 6, 7, 8,"
            let options = ResponseOptions(maxTokens: 300, temperature: 0)
            _ = try await model.generateResponse(prompt, raw: true, options: options)
            #expect(await model.lastResponseStats?.finishReason == .maxTokens)

            let (firstPiece, arrived) = AsyncStream.makeStream(of: Void.self)
            let task = Task {
                for try await _ in model.generateResponseStream(prompt, raw: true, options: options) { arrived.yield() }
            }
            for await _ in firstPiece { break }
            task.cancel()
            _ = await task.result
            // The actor answers only once the generation has stopped.
            let stats = try #require(await model.lastResponseStats)
            #expect(stats.finishReason == .cancelled)
            #expect(stats.generatedTokens < 300)
        }

        @Test func sessionsKeepSeparateHistoriesAndDoNotReEvaluateEarlierTurns() async throws {
            let model = try await load()
            let alice = try await model.makeSession()
            let bob = try await model.makeSession()
            // Nothing drafted, so that every evaluated token is one of the conversation's.
            var greedy = Self.greedy
            greedy.speculation = .off

            _ = try await alice.respond(to: "My name is Alice. Say hello.", options: greedy)
            let afterFirstTurn = await alice.evaluatedTokenCount
            _ = try await bob.respond(to: "What is the capital of France?", options: greedy)
            _ = try await alice.respond(to: "What is my name?", options: greedy)
            let stats = try #require(await alice.lastResponseStats)

            let messages = await alice.messages
            #expect(messages.map(\.role) == ["user", "assistant", "user", "assistant"])
            #expect(await bob.messages.map(\.role) == ["user", "assistant"])
            // The cache holds exactly what a fresh prefill of the whole conversation would.
            let formatter = try ChatFormatter(model.model.file.gguf, tokenizer: model.model.tokenizer)
            let wholeConversation = try formatter.tokens(Array(messages[..<3]))
            #expect(await alice.tokens.starts(with: wholeConversation))
            // Yet the second turn evaluated only its own tokens (and the first answer's last one).
            let newTurn = tokens(model, "\n<|im_start|>user\nWhat is my name?<|im_end|>\n<|im_start|>assistant\n")
            #expect(stats.promptTokens == newTurn + 1)
            #expect(wholeConversation.count > 3 * newTurn)
            let secondTurnCost = await alice.evaluatedTokenCount - afterFirstTurn
            #expect(secondTurnCost == stats.promptTokens + stats.generatedTokens - 1)

            await alice.reset()
            #expect(await alice.messages.isEmpty)
            _ = try await alice.respond(to: "What is my name?", options: Self.greedy)
            #expect(await alice.lastResponseStats!.promptTokens > newTurn + 10)  // from scratch again
        }
    }
}
