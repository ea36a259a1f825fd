// Gemma 3: Llama's block plus RMSNorm on queries and keys, norms after attention and after
// the MLP, GELU-gated MLP, embeddings scaled by √d, and local (sliding-window, own RoPE
// base) layers interleaved with global ones (every 6th layer global by default).
// The GGUF's norm weights already hold Gemma's (1 + w): llama.cpp's converter adds the 1.
//   h = x + n_post(Wo·attention(rope(n_q(Wq·n(x))) / √head_dim, rope(n_k(Wk·n(x))), Wv·n(x)))
//   x' = h + n_post(Wdown·(gelu(Wgate·n(h)) ⊙ Wup·n(h)))
// ref: llama.cpp src/models/gemma3.cpp; HF transformers Gemma3ForCausalLM.

extension ModelConfig {
    static func gemma3(_ file: GGUFFile) throws(ModelError) -> ModelConfig {
        var (config, m) = try gemmaFamily(file, .gemma3)
        config.ropeBase = try m.float("rope.freq_base", default: 1_000_000)
        config.ropeBaseSlidingWindow = try m.float("rope.freq_base_swa", default: 10_000)
        config.trainedContextLength = try m.integer("context_length", default: 32_768)
        let window = try m.integer("attention.sliding_window", default: 0)
        if window > 0 {
            config.slidingWindow = window
            config.slidingWindowLayers = try slidingWindowPattern(m, layers: config.layerCount)
        }
        config.finalLogitSoftcap = try softcap(m, "final_logit_softcapping")
        return try config.validated()
    }

    /// `attention.sliding_window_pattern`: a per-layer bool array, or a period n where
    /// every n-th layer is global (default 6, as Gemma 3 ships).
    static func slidingWindowPattern(_ m: HyperparameterReader, layers: Int) throws(ModelError) -> [Bool] {
        if case let .array(pattern)? = m.value("attention.sliding_window_pattern") {
            guard pattern.elementType == .bool, pattern.count == layers else {
                throw .invalidHyperparameter("sliding_window_pattern must hold one bool per layer")
            }
            return (0..<layers).map { pattern.load($0, as: UInt8.self) != 0 }
        }
        let period = try m.integer("attention.sliding_window_pattern", default: 6)
        return (0..<max(0, layers)).map { period == 0 || $0 % period < period - 1 }
    }
}
