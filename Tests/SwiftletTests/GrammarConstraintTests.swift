import Swiftlet
import SwiftletCore
import Testing

extension RealModels {
    /// Grammars on the real models' vocabularies: the trie's masks are exactly the tokens
    /// that fit, greedy answers that already fit are unchanged, and answers end where the
    /// grammar does.
    @Suite struct GrammarConstraintTests {
        typealias Fidelity = ModelFidelityTests
        typealias Drafting = SpeculationTests

        static let person = Array(#"""
            {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0},
             "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 3}}, "required": ["name", "age"]}
            """#.utf8)

        static func chat(_ model: LoadedModel, _ message: String) throws -> [Int32] {
            try ChatFormatter(model.file.gguf, tokenizer: model.tokenizer).tokens([ChatMessage(role: "user", content: message)])
        }

        static func answer(
            _ session: Session, _ prompt: [Int32], grammar: Grammar?, speculation: Speculation = .off, maxTokens: Int = 96
        ) throws -> Drafting.Answer {
            try Drafting.answer(session, prompt, speculation, maxTokens: maxTokens, grammar: grammar)
        }

        /// Every token the trie allows fits, and every token that fits is allowed (by the
        /// matcher, without the automaton's tables), at points inside keys, strings, numbers
        /// and between values.
        @Test(arguments: [0, 1])
        func trieMasksAreExactlyTheTokensThatFit(_ index: Int) throws {
            let model = try Fidelity.load(index)
            let trie = TokenTrie(tokenizer: model.tokenizer)
            let grammar = try Grammar(jsonSchema: Self.person)
            let vocabulary = model.tokenizer.vocabulary
            for prefix in ["", "{", #"{"na"#, #"{"name": "Al"#, #"{"name": "Al", "age": 4"#, #"{"name":"x","age":0,"tags":["a""#,
                           #"{"name":"x","age":1}"#] {
                var matcher = GrammarMatcher(grammar)
                let read = matcher.advance(Array(prefix.utf8))
                #expect(read, "\(prefix)")
                let automaton = GrammarAutomaton(grammar)
                let allowed = trie.allowedTokens(automaton, automaton.state(of: matcher))
                var count = 0
                for token in 0..<Int32(vocabulary.count) {
                    let piece = model.tokenizer.piece(token)
                    let fits = vocabulary.isEndOfGeneration(token) ? matcher.isComplete : !piece.isEmpty && matcher.accepts(piece)
                    if allowed[Int(token)] != fits {
                        Issue.record("token \(token) \(piece) after \(prefix): allowed \(allowed[Int(token)]), fits \(fits)")
                        return
                    }
                    count += fits ? 1 : 0
                }
                #expect(count > 0, "\(prefix)")
            }
        }

        /// A grammar that every answer fits leaves greedy answers as they are, token for token.
        @Test(arguments: [0, 1])
        func greedyAnswersThatFitAreUnchanged(_ index: Int) throws {
            let model = try Fidelity.load(index)
            let session = Drafting.session(model)
            let anyText = try Grammar(gbnf: Array("root ::= [^\\x00]*".utf8))
            for prompt in try Drafting.prompts(index, model).prefix(3) {
                session.reset()
                let free = try Self.answer(session, prompt, grammar: nil)
                session.reset()
                let constrained = try Self.answer(session, prompt, grammar: anyText)
                #expect(constrained == free)
            }
        }

        /// JSON answers to a schema parse, end when the value closes, are cut with
        /// `.maxTokens` when the limit comes first, and drafting does not change them.
        @Test(arguments: [0, 1])
        func schemaAnswersFollowTheSchemaAndEndWithIt(_ index: Int) throws {
            let model = try Fidelity.load(index)
            let session = Drafting.session(model)
            let grammar = try Grammar(jsonSchema: Self.person)
            let prompt = try Self.chat(model, "Give Alice's details as JSON: she is 31 and tagged a and b.")
            let answer = try Self.answer(session, prompt, grammar: grammar)
            #expect(answer.finish == .endOfGeneration)
            var matcher = GrammarMatcher(grammar)
            let read = matcher.advance(answer.text)
            #expect(read && matcher.isComplete && !matcher.canContinue, "\(String(decoding: answer.text, as: UTF8.self))")
            #expect(answer.text.first == UInt8(ascii: "{") && answer.text.last == UInt8(ascii: "}"))

            session.reset()
            let drafted = try Self.answer(session, prompt, grammar: grammar, speculation: .ngram)
            #expect(drafted == answer)

            session.reset()
            let cut = try Self.answer(session, prompt, grammar: grammar, maxTokens: 3)
            #expect(cut.finish == .maxTokens)
            #expect(cut.tokens == Array(answer.tokens.prefix(3)))
        }

        /// A grammar of two words: the answer is one of them, and nothing after it.
        @Test(arguments: [0, 1])
        func aClosedGrammarEndsTheAnswer(_ index: Int) throws {
            let model = try Fidelity.load(index)
            let session = Drafting.session(model)
            let grammar = try Grammar(gbnf: Array(#"root ::= "yes" | "no""#.utf8))
            let answer = try Self.answer(session, try Self.chat(model, "Is the sky blue? Answer yes or no."), grammar: grammar)
            #expect(["yes", "no"].contains(String(decoding: answer.text, as: UTF8.self)))
            #expect(answer.finish == .endOfGeneration)
            // The conversation goes on from the answer.
            let next = try Self.answer(session, try Self.chat(model, "And grass?"), grammar: grammar)
            #expect(["yes", "no"].contains(String(decoding: next.text, as: UTF8.self)))
        }
    }
}
