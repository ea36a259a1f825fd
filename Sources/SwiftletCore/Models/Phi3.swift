// Phi-3: Llama's block with Q, K and V in one tensor (attn_qkv) and the gate stacked above
// the up projection in ffn_up (both split into views when binding), NeoX-style RoPE over
// the first rope.dimension_count dimensions of each head. llama.cpp leaves its sliding
// window off (the converters record it inconsistently), and so does Swiftlet.
// ref: llama.cpp src/models/phi3.cpp; HF Phi3ForCausalLM.

extension ModelConfig {
    static func phi3(_ file: GGUFFile) throws(ModelError) -> ModelConfig {
        var (config, m) = try standard(file, .phi3, ropeStyle: .halves)
        config.ropeDimensions = try m.integer("rope.dimension_count", default: config.headDimension)
        return try config.validated()
    }
}
