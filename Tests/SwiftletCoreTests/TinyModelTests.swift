import SwiftletCore
import Testing

/// A one-layer Gemma 3-shaped model with random f32 weights, built in memory: small enough
/// to check properties of the forward pass exactly.
@Suite struct TinyModelTests {
    static let d = 32, heads = 2, headDimension = 16, feedForward = 64, vocabulary = 50

    static func model(window: Int?) -> [UInt8] {
        var random = RandomGenerator(seed: 7)
        func weights(_ name: String, _ shape: [Int], scale: Float = 0.3, offset: Float = 0) -> GGUFTestFile.Tensor {
            let values = (0..<shape.reduce(1, *)).map { _ in (random.nextUnitFloat() * 2 - 1) * scale + offset }
            return GGUFTestFile.Tensor(name, typeID: TensorType.f32.rawValue, shape: shape.map { UInt64($0) },
                                       data: values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        }
        var metadata: [GGUFTestFile.Entry] = [
            .kv("general.architecture", .string("gemma3")),
            .kv("gemma3.embedding_length", .uint32(UInt32(d))),
            .kv("gemma3.block_count", .uint32(1)),
            .kv("gemma3.feed_forward_length", .uint32(UInt32(feedForward))),
            .kv("gemma3.attention.head_count", .uint32(UInt32(heads))),
            .kv("gemma3.attention.head_count_kv", .uint32(1)),
            .kv("gemma3.attention.key_length", .uint32(UInt32(headDimension))),
            .kv("gemma3.attention.layer_norm_rms_epsilon", .float32(1e-6)),
            .kv("gemma3.vocab_size", .uint32(UInt32(vocabulary))),
        ]
        if let window {
            metadata.append(.kv("gemma3.attention.sliding_window", .uint32(UInt32(window))))
            metadata.append(.kv("gemma3.attention.sliding_window_pattern", .uint32(0)))  // every layer local
        }
        let p = "blk.0."
        let tensors = [
            weights("token_embd.weight", [d, vocabulary]),
            weights("output_norm.weight", [d], offset: 1),
            weights(p + "attn_norm.weight", [d], offset: 1),
            weights(p + "attn_q.weight", [d, heads * headDimension]),
            weights(p + "attn_k.weight", [d, headDimension]),
            weights(p + "attn_v.weight", [d, headDimension]),
            weights(p + "attn_output.weight", [heads * headDimension, d]),
            weights(p + "attn_q_norm.weight", [headDimension], offset: 1),
            weights(p + "attn_k_norm.weight", [headDimension], offset: 1),
            weights(p + "post_attention_norm.weight", [d], offset: 1),
            weights(p + "ffn_norm.weight", [d], offset: 1),
            weights(p + "ffn_gate.weight", [d, feedForward]),
            weights(p + "ffn_up.weight", [d, feedForward]),
            weights(p + "ffn_down.weight", [feedForward, d]),
            weights(p + "post_ffw_norm.weight", [d], offset: 1),
        ]
        return GGUFTestFile(metadata: metadata, tensors: tensors).bytes()
    }

    /// Logits after the last of `tokens`, evaluated in batches of `batch`.
    static func logits(_ bytes: [UInt8], _ tokens: [Int32], batch: Int) throws -> [Float] {
        try GGUFTestFile.parse(bytes) { file in
            let model = try Transformer(file)
            let cache = model.makeCache(contextSize: 64, maxBatch: batch)
            let state = model.makeState(maxBatch: batch)
            var start = 0
            while start < tokens.count {
                let end = min(start + batch, tokens.count)
                tokens[start..<end].withUnsafeBufferPointer { model.forward($0, start: start, cache: cache, state: state) }
                start = end
            }
            return Array(UnsafeBufferPointer(start: state.logits, count: vocabulary))
        }
    }

    static let tokens: [Int32] = [3, 17, 42, 8, 8, 29, 1, 33, 12, 40]

    /// Batches of any size (2 or more tokens) give the same bits, whatever the split; one
    /// token at a time sums attention in another order (as llama.cpp does), so it agrees
    /// to float rounding.
    @Test(arguments: [nil, 4] as [Int?])
    func batchSizeDoesNotChangeTheResult(_ window: Int?) throws {
        let bytes = Self.model(window: window)
        let batched = try Self.logits(bytes, Self.tokens, batch: 10)
        #expect(try Self.logits(bytes, Self.tokens, batch: 2) == batched)
        #expect(try Self.logits(bytes, Self.tokens, batch: 5) == batched)
        let oneAtATime = try Self.logits(bytes, Self.tokens, batch: 1)
        let scale = batched.map { abs($0) }.max()!
        #expect(zip(oneAtATime, batched).allSatisfy { abs($0 - $1) <= 1e-4 * scale })
        #expect(batched.allSatisfy { $0.isFinite })
    }

    /// With one sliding-window layer of 4, the last position sees exactly the last 4
    /// tokens: changing the 5th-last changes nothing, changing the 4th-last does. Without
    /// the window, every earlier token matters.
    @Test func slidingWindowAttendsToTheLastWindowTokensOnly() throws {
        let local = Self.model(window: 4), global = Self.model(window: nil)
        var outsideWindow = Self.tokens, insideWindow = Self.tokens
        outsideWindow[5] = 0
        insideWindow[6] = 0
        let reference = try Self.logits(local, Self.tokens, batch: 10)
        #expect(try Self.logits(local, outsideWindow, batch: 10) == reference)
        #expect(try Self.logits(local, insideWindow, batch: 10) != reference)
        let globalReference = try Self.logits(global, Self.tokens, batch: 10)
        #expect(try Self.logits(global, outsideWindow, batch: 10) != globalReference)
    }

    @Test func unknownArchitectureNamesTheSupportedOnes() throws {
        let bytes = GGUFTestFile(metadata: [.kv("general.architecture", .string("mamba"))]).bytes()
        let error = try GGUFTestFile.parse(bytes) { file -> ModelError? in
            do throws(ModelError) {
                _ = try Transformer(file)
                return nil
            } catch {
                return error
            }
        }
        #expect(error == .unsupportedArchitecture("mamba"))
        #expect(error?.description.contains("llama, qwen2, qwen3, phi3, gemma, gemma2, gemma3") == true)
    }
}
