// Qwen 2 / 2.5: Llama's block with biases on the query, key and value projections, and
// RoPE on the two halves of each head (NeoX style). Small models tie the output to the
// embedding. Qwen 3: no biases; RMSNorm on each query and key head before RoPE, and a
// head dimension of its own (attention.key_length).
// ref: llama.cpp src/models/qwen2.cpp, qwen3.cpp; HF Qwen2ForCausalLM, Qwen3ForCausalLM.
// The biases and head norms are optional tensors the shared block applies when present.

extension ModelConfig {
    static func qwen2(_ file: GGUFFile) throws(ModelError) -> ModelConfig {
        try standard(file, .qwen2, ropeStyle: .halves, ropeBase: 1_000_000).config.validated()
    }

    static func qwen3(_ file: GGUFFile) throws(ModelError) -> ModelConfig {
        try standard(file, .qwen3, ropeStyle: .halves, ropeBase: 1_000_000).config.validated()
    }
}
