import Foundation
import Swiftlet
import SwiftletCore
import Testing

/// Token ids of a 330-string corpus against llama.cpp's tokenizer on the same GGUF files
/// (Fixtures/tokenizer, made by scripts/make-llamacpp-refs), for both real models.
@Suite struct TokenizerTests {
    // Decoded with JSONDecoder: JSONSerialization drops a leading U+FEFF from strings.
    struct CorpusEntry: Decodable { let text: String }
    struct Case: Decodable {
        let text_index: Int
        let ids: [Int32]
        let ids_special: [Int32]?
    }
    struct ModelReference: Decodable {
        let cases: [Case]
        let detokenized: [String]
    }

    struct Reference {
        let texts: [String]
        let cases: [(text: Int, ids: [Int32], idsSpecial: [Int32]?)]
        let detokenized: [String]
    }

    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/tokenizer")

    static func reference(_ model: String) throws -> Reference {
        let corpus = try JSONDecoder().decode(
            [CorpusEntry].self, from: Data(contentsOf: directory.appendingPathComponent("corpus.json")))
        let file = try JSONDecoder().decode(
            ModelReference.self, from: Data(contentsOf: directory.appendingPathComponent("\(model).json")))
        return Reference(
            texts: corpus.map(\.text),
            cases: file.cases.map { ($0.text_index, $0.ids, $0.ids_special) },
            detokenized: file.detokenized)
    }

    /// What decoding gives back for `text`: the text itself, except that SentencePiece
    /// vocabularies write spaces as "▁" (U+2581), so that character decodes as a space.
    static func expectedRoundTrip(_ text: String, _ tokenizer: Tokenizer) -> String {
        tokenizer.vocabulary.kind == .sentencePiece ? text.replacingOccurrences(of: "\u{2581}", with: " ") : text
    }

    static func tokenizer(_ path: Result<String, any Error>) throws -> (ModelFile, Tokenizer) {
        let model = try ModelFile(path: try path.get())
        return (model, try Tokenizer(model.gguf))
    }

    static let models = [("SmolLM2-135M-Instruct.Q4_1.gguf", TestModels.smolLM2), ("gemma-3-270m-q4_k_m.gguf", TestModels.gemma3)]

    @Test(arguments: [0, 1])
    func idsMatchLlamaCpp(_ index: Int) throws {
        let (name, path) = Self.models[index]
        let reference = try Self.reference(name)
        let (_, tokenizer) = try Self.tokenizer(path)
        #expect(reference.cases.count >= 200)
        var failures: [String] = []
        for (text, ids, idsSpecial) in reference.cases {
            let input = reference.texts[text]
            let ours = tokenizer.encode(input, addSpecial: true, parseSpecial: false)
            if ours != ids { failures.append("#\(text) \(input.debugDescription): \(ours) != \(ids)") }
            let oursSpecial = tokenizer.encode(input, addSpecial: true, parseSpecial: true)
            if oursSpecial != (idsSpecial ?? ids) {
                failures.append("#\(text) special \(input.debugDescription): \(oursSpecial) != \(idsSpecial ?? ids)")
            }
        }
        #expect(failures.isEmpty, "\(name): \(failures.count) mismatches:\n\(failures.prefix(10).joined(separator: "\n"))")
    }

    /// decode(encode(s)) gives llama.cpp's detokenization, which is s itself for every
    /// corpus string but for SentencePiece's "▁" (see expectedRoundTrip), also when decoded
    /// token by token through the streaming decoder.
    @Test(arguments: [0, 1])
    func decodingRestoresTheText(_ index: Int) throws {
        let (name, path) = Self.models[index]
        let reference = try Self.reference(name)
        let (_, tokenizer) = try Self.tokenizer(path)
        var failures: [String] = []
        for (i, (text, _, _)) in reference.cases.enumerated() {
            let input = reference.texts[text]
            let ids = tokenizer.encode(input, addSpecial: false, parseSpecial: false)
            let decoded = String(decoding: tokenizer.decode(ids), as: UTF8.self)
            if decoded != reference.detokenized[i] { failures.append("#\(text) llama.cpp: \(input.debugDescription) → \(decoded.debugDescription)") }
            let expected = Self.expectedRoundTrip(input, tokenizer)
            if decoded != expected { failures.append("#\(text) round trip: \(input.debugDescription) → \(decoded.debugDescription)") }
            var streaming = StreamingDecoder(tokenizer: tokenizer)
            var bytes: [UInt8] = []
            for id in ids {
                let chunk = streaming.append(id)
                if String(validating: chunk, as: UTF8.self) == nil { failures.append("#\(text) streamed half a character") }
                bytes += chunk
            }
            bytes += streaming.finish()
            if bytes != Array(expected.utf8) { failures.append("#\(text) streaming: \(input.debugDescription)") }
        }
        #expect(failures.isEmpty, "\(name): \(failures.count) failures:\n\(failures.prefix(10).joined(separator: "\n"))")
    }

    @Test func specialTokenTextIsPlainTextUnlessAsked() throws {
        let (_, tokenizer) = try Self.tokenizer(TestModels.smolLM2)
        let plain = tokenizer.encode("<|im_start|>user", addSpecial: false)
        let special = tokenizer.encode("<|im_start|>user", addSpecial: false, parseSpecial: true)
        #expect(special.first == 1)  // <|im_start|>
        #expect(!plain.contains(1))
        // llama.cpp's end-of-generation set for SmolLM2: <|endoftext|>, <|im_end|>, <reponame>.
        #expect(tokenizer.vocabulary.endOfGeneration.sorted() == [0, 2, 4])
        #expect(tokenizer.piece(1).isEmpty && tokenizer.piece(1, special: true) == Array("<|im_start|>".utf8))
    }

    /// Encodes 100 KB of mixed text and reports the time (a figure for the issue notes, not
    /// an assertion: speed claims come from benchmarks).
    @Test(arguments: [0, 1])
    func encodes100KilobytesOfText(_ index: Int) throws {
        let (name, path) = Self.models[index]
        let reference = try Self.reference(name)
        let (_, tokenizer) = try Self.tokenizer(path)
        var text = ""
        while text.utf8.count < 100_000 { text += reference.texts.joined(separator: "\n") }
        let start = ContinuousClock.now
        let ids = tokenizer.encode(text)
        let elapsed = ContinuousClock.now - start
        print("tokenizer: \(name) encoded \(text.utf8.count) bytes into \(ids.count) tokens in \(elapsed)")
        #expect(String(decoding: tokenizer.decode(ids.dropFirst(tokenizer.vocabulary.addBOS ? 1 : 0)), as: UTF8.self)
            == Self.expectedRoundTrip(text, tokenizer))
    }
}
