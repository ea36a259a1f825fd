import Foundation
import Swiftlet
import SwiftletCore
import Testing

/// Every architecture against HF transformers: tiny random models converted as llama.cpp's
/// converter does (scripts/make-architecture-fixtures), logits compared at every position.
@Suite struct ArchitectureTests {
    struct Reference: Decodable {
        struct Sequence: Decodable {
            let tokens: [Int32]
            let logits: [[Float]]
            let greedy: [Int32]
        }

        let f32: [Sequence]
        let q8_0: [Sequence]
    }

    static let architectures = ["llama", "qwen2", "qwen3", "phi3", "gemma", "gemma2"]

    static func fixture(_ name: String) -> String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/architectures/\(name)").path
    }

    struct Comparison {
        /// Largest |difference| and largest |reference logit| over every position.
        var maxError: Float = 0, scale: Float = 0
        /// Positions whose most likely next token is the reference's.
        var sameTop = 0, positions = 0
        var greedy: [Int32] = [], expected: [Int32] = []
    }

    /// `device`: run on a device (the GPU) instead of the CPU.
    static func compare(
        _ architecture: String, _ variant: String, device: ((LoadedModel) throws -> DeviceForward)? = nil
    ) throws -> [Comparison] {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: fixture("\(architecture).json"))))
        let model = try LoadedModel(path: fixture("\(architecture).\(variant).gguf"))
        #expect(model.transformer.config.architecture.rawValue == architecture)
        var results: [Comparison] = []
        for sequence in variant == "f32" ? reference.f32 : reference.q8_0 {
            // F32 weights are checked in f32 throughout (nothing rounded to f16), so only the
            // order of sums separates the two; Q8_0 runs as llama.cpp would.
            let session = Session(
                model: model.transformer, tokenizer: model.tokenizer, contextSize: 64, maxBatch: 8,
                precision: variant == "f32" ? .f32 : .f16, device: try device?(model))
            var result = Comparison(expected: sequence.greedy)
            try session.evaluate(sequence.tokens) { position, logits in
                let reference = sequence.logits[position]
                for (i, expected) in reference.enumerated() {
                    result.maxError = max(result.maxError, abs(logits[i] - expected))
                    result.scale = max(result.scale, abs(expected))
                }
                let top = reference.indices.max { reference[$0] < reference[$1] }!
                result.sameTop += Sampler.argmax(logits, count: reference.count) == top ? 1 : 0
                result.positions += 1
            }
            try session.start(prompt: [], options: GenerationOptions(maxTokens: sequence.greedy.count, sampling: .greedy))
            while case let .token(token, _)? = try session.next() { result.greedy.append(token) }
            results.append(result)
        }
        return results
    }

    @Test(arguments: architectures)
    func f32LogitsMatchTransformersAtEveryPosition(_ architecture: String) throws {
        Self.expectF32Match(architecture, try Self.compare(architecture, "f32"))
    }

    /// Q8_0 weights against transformers running the same weights dequantized: the 8-bit
    /// activations (and llama.cpp's f16 roundings) are all that differ, so the logits stay
    /// within a few percent and the most likely token nearly always agrees.
    @Test(arguments: architectures)
    func q8_0LogitsStayCloseToTransformers(_ architecture: String) throws {
        Self.expectQ8_0Close(architecture, try Self.compare(architecture, "q8_0"))
    }

    /// F32: every logit within 1e-3, the same top token everywhere, the same greedy tokens.
    static func expectF32Match(_ architecture: String, _ results: [Comparison]) {
        for result in results {
            #expect(result.maxError < 1e-3, "\(architecture): max |Δlogit| \(result.maxError) (logits up to \(result.scale))")
            #expect(result.sameTop == result.positions)
            #expect(result.greedy == result.expected)
        }
    }

    /// Q8_0: logits within 5 % of their range, the top token the same at 90 % of positions.
    static func expectQ8_0Close(_ architecture: String, _ results: [Comparison]) {
        var sameTop = 0, positions = 0
        for result in results {
            #expect(result.maxError < 0.05 * result.scale, "\(architecture): max |Δlogit| \(result.maxError) (logits up to \(result.scale))")
            sameTop += result.sameTop
            positions += result.positions
        }
        #expect(Double(sameTop) >= 0.9 * Double(positions), "\(architecture): top token agrees at \(sameTop) of \(positions) positions")
    }

    @Test func anUnknownArchitectureNamesTheSupportedOnes() throws {
        #expect(ModelError.unsupportedArchitecture("mamba").description
            == "unsupported architecture 'mamba': Swiftlet supports llama, qwen2, qwen3, phi3, gemma, gemma2, gemma3")
    }
}
