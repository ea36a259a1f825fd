// Llama (SmolLM2, Llama 2/3, TinyLlama): pre-norm blocks, RoPE on adjacent pairs, SwiGLU.
//   h = x + Wo·attention(rope(Wq·n(x)), rope(Wk·n(x)), Wv·n(x))     n = RMSNorm
//   x' = h + Wdown·(silu(Wgate·n(h)) ⊙ Wup·n(h))
// ref: llama.cpp src/models/llama.cpp; HF transformers LlamaForCausalLM.

extension ModelConfig {
    static func llama(_ file: GGUFFile) throws(ModelError) -> ModelConfig {
        let m = HyperparameterReader(metadata: file.metadata, prefix: "llama")
        let d = try m.integer("embedding_length")
        let heads = try m.integer("attention.head_count")
        let headDimension = try m.integer("attention.key_length", default: heads > 0 ? d / heads : 0)
        let layers = try m.integer("block_count")
        return try ModelConfig(
            architecture: .llama,
            embeddingLength: d,
            layerCount: layers,
            headCount: heads,
            kvHeadCount: try m.integer("attention.head_count_kv", default: heads),
            headDimension: headDimension,
            feedForwardLength: try m.integer("feed_forward_length"),
            vocabularySize: try vocabularySize(file, m),
            trainedContextLength: try m.integer("context_length", default: 2048),
            rmsEpsilon: try m.float("attention.layer_norm_rms_epsilon"),
            activation: .silu,
            ropeStyle: .interleaved,
            ropeBase: try m.float("rope.freq_base", default: 10_000),
            ropeBaseSlidingWindow: try m.float("rope.freq_base", default: 10_000),
            slidingWindow: nil,
            slidingWindowLayers: Array(repeating: false, count: max(0, layers)),
            embeddingScale: nil,
            queryScale: 1,
            scoreScale: 1 / Float(headDimension).squareRoot(),
            finalLogitSoftcap: nil
        ).validated()
    }

    /// `<arch>.vocab_size`, else the number of tokens in the vocabulary.
    static func vocabularySize(_ file: GGUFFile, _ m: HyperparameterReader) throws(ModelError) -> Int {
        if let size = m.value("vocab_size")?.integer { return Int(size) }
        guard case let .array(tokens)? = file.metadata["tokenizer.ggml.tokens"] else {
            throw .invalidHyperparameter("no vocab_size and no tokenizer.ggml.tokens")
        }
        return tokens.count
    }
}
