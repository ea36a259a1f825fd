// Llama (SmolLM2, Llama 2/3, TinyLlama): pre-norm blocks, RoPE on adjacent pairs, SwiGLU.
//   h = x + Wo·attention(rope(Wq·n(x)), rope(Wk·n(x)), Wv·n(x))     n = RMSNorm
//   x' = h + Wdown·(silu(Wgate·n(h)) ⊙ Wup·n(h))
// ref: llama.cpp src/models/llama.cpp; HF transformers LlamaForCausalLM.
// The other architectures start from this block (`standard`) and change what differs.

extension ModelConfig {
    static func llama(_ file: GGUFFile) throws(ModelError) -> ModelConfig {
        try standard(file, .llama, ropeStyle: .interleaved).config.validated()
    }

    /// The block above, read from `<architecture>.*` metadata: the hyperparameters every
    /// architecture stores, with Llama's choices for the rest.
    static func standard(
        _ file: GGUFFile, _ architecture: Architecture, ropeStyle: RopeStyle, ropeBase: Float = 10_000
    ) throws(ModelError) -> (config: ModelConfig, metadata: HyperparameterReader) {
        let m = HyperparameterReader(metadata: file.metadata, prefix: architecture.rawValue)
        let d = try m.integer("embedding_length")
        let heads = try m.integer("attention.head_count")
        let headDimension = try m.integer("attention.key_length", default: heads > 0 ? d / heads : 0)
        let layers = try m.integer("block_count")
        let base = try m.float("rope.freq_base", default: ropeBase)
        let config = ModelConfig(
            architecture: architecture,
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
            ropeStyle: ropeStyle,
            ropeBase: base,
            ropeBaseSlidingWindow: base,
            slidingWindow: nil,
            slidingWindowLayers: Array(repeating: false, count: max(0, layers)),
            embeddingScale: nil,
            queryScale: 1,
            scoreScale: headDimension > 0 ? 1 / Float(headDimension).squareRoot() : 1,
            finalLogitSoftcap: nil)
        return (config, m)
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
