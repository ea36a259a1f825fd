// Gemma: Llama's block with GELU-gated MLP, embeddings scaled by √d, queries scaled by
// 1/√head_dim, NeoX-style RoPE and the output tied to the embedding. The GGUF's norm
// weights already hold Gemma's (1 + w): llama.cpp's converter adds the 1.
// Gemma 2 adds norms after attention and after the MLP, sliding-window attention on every
// other layer (the first included), and tanh soft-capping of attention scores and of the
// final logits.
//   Gemma 2: h = x + n_post(Wo·attention(...)),  scores = cap·tanh(q·k / cap)
// ref: llama.cpp src/models/gemma.cpp, gemma2.cpp; HF GemmaForCausalLM, Gemma2ForCausalLM.

extension ModelConfig {
    static func gemma(_ file: GGUFFile) throws(ModelError) -> ModelConfig {
        try gemmaFamily(file, .gemma).config.validated()
    }

    static func gemma2(_ file: GGUFFile) throws(ModelError) -> ModelConfig {
        var (config, m) = try gemmaFamily(file, .gemma2)
        // llama.cpp's Gemma 2 27B (46 layers) scales queries by 1/√(d / heads) instead.
        if config.layerCount == 46 { config.queryScale = 1 / (Float(config.embeddingLength) / Float(config.headCount)).squareRoot() }
        let window = try m.integer("attention.sliding_window", default: 4096)
        config.slidingWindow = window
        config.slidingWindowLayers = (0..<config.layerCount).map { $0 % 2 == 0 }
        config.attentionLogitSoftcap = try softcap(m, "attn_logit_softcapping")
        config.finalLogitSoftcap = try softcap(m, "final_logit_softcapping")
        return try config.validated()
    }

    /// What every Gemma generation shares.
    static func gemmaFamily(_ file: GGUFFile, _ architecture: Architecture) throws(ModelError) -> (config: ModelConfig, metadata: HyperparameterReader) {
        var (config, m) = try standard(file, architecture, ropeStyle: .halves)
        config.activation = .gelu
        config.embeddingScale = Float(config.embeddingLength).squareRoot()
        config.queryScale = 1 / Float(config.headDimension).squareRoot()
        config.scoreScale = 1
        config.trainedContextLength = try m.integer("context_length", default: 8192)
        return (config, m)
    }

    static func softcap(_ m: HyperparameterReader, _ key: String) throws(ModelError) -> Float? {
        let cap = try m.float(key, default: 0)
        return cap > 0 ? cap : nil
    }
}
