/// One transformer block's weights: views into the model file (matrices) and small f32
/// copies (norm weights). Optional ones exist only in some architectures.
struct LayerWeights {
    let attentionNorm: [Float]        // [d]
    let query: WeightMatrix           // [d → heads·head_dim]
    let key: WeightMatrix             // [d → kv_heads·head_dim]
    let value: WeightMatrix           // [d → kv_heads·head_dim]
    let output: WeightMatrix          // [heads·head_dim → d]
    let queryBias: [Float]?           // [heads·head_dim] (Qwen 2)
    let keyBias: [Float]?             // [kv_heads·head_dim]
    let valueBias: [Float]?           // [kv_heads·head_dim]
    let queryNorm: [Float]?           // [head_dim] (Gemma 3, Qwen 3)
    let keyNorm: [Float]?             // [head_dim]
    let postAttentionNorm: [Float]?   // [d] (Gemma 2/3)
    let feedForwardNorm: [Float]      // [d]
    let gate: WeightMatrix            // [d → ffn]
    let up: WeightMatrix              // [d → ffn]
    let down: WeightMatrix            // [ffn → d]
    let postFeedForwardNorm: [Float]? // [d]
}

struct ModelWeights {
    let tokenEmbedding: WeightMatrix  // [vocab rows of d]
    let outputNorm: [Float]           // [d]
    let output: WeightMatrix          // [d → vocab]; the embedding itself when tied
    let layers: [LayerWeights]
}

/// Finds tensors by llama.cpp's names ("blk.3.attn_q.weight") and checks their shapes.
struct TensorBinder {
    let file: GGUFFile

    func tensor(_ name: String) throws(ModelError) -> TensorInfo {
        guard let tensor = file.tensor(named: name) else { throw .missingTensor(name) }
        return tensor
    }

    /// A matrix mapping `inputs` values to `outputs` values.
    func matrix(_ name: String, inputs: Int, outputs: Int) throws(ModelError) -> WeightMatrix {
        let matrix = try WeightMatrix(tensor(name), in: file)
        guard matrix.columns == inputs, matrix.rows == outputs else {
            throw .badShape(tensor: name, expected: "\(inputs) × \(outputs)", found: [matrix.columns, matrix.rows])
        }
        return matrix
    }

    func optionalMatrix(_ name: String, inputs: Int, outputs: Int) throws(ModelError) -> WeightMatrix? {
        file.tensor(named: name) == nil ? nil : try matrix(name, inputs: inputs, outputs: outputs)
    }

    /// A vector of `count` values (norm weights), dequantized to f32.
    func vector(_ name: String, count: Int) throws(ModelError) -> [Float] {
        let tensor = try tensor(name)
        guard tensor.elementCount == count, tensor.rowLength == count else {
            throw .badShape(tensor: name, expected: "\(count)", found: tensor.shape)
        }
        guard let kernels = RowKernels(tensor.type) else {
            throw .unsupportedTensorType(tensor: name, type: tensor.type.name)
        }
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { out in
            kernels.dequantizeRow(file.data(of: tensor).baseAddress!, out.baseAddress!, count)
        }
        return values
    }

    func optionalVector(_ name: String, count: Int) throws(ModelError) -> [Float]? {
        file.tensor(named: name) == nil ? nil : try vector(name, count: count)
    }

    /// The weights every decoder block shares; the optional ones exist only in the
    /// architectures that have them. Fused tensors (Phi-3's `attn_qkv`, and an `ffn_up`
    /// holding the gate above the up projection) are split into views.
    func standardLayer(_ i: Int, config c: ModelConfig) throws(ModelError) -> LayerWeights {
        let p = "blk.\(i)."
        let d = c.embeddingLength, f = c.feedForwardLength
        let query: WeightMatrix, key: WeightMatrix, value: WeightMatrix
        if let fused = try optionalMatrix(p + "attn_qkv.weight", inputs: d, outputs: c.queryWidth + 2 * c.kvWidth) {
            query = fused.rows(0..<c.queryWidth, name: p + "attn_q")
            key = fused.rows(c.queryWidth..<(c.queryWidth + c.kvWidth), name: p + "attn_k")
            value = fused.rows((c.queryWidth + c.kvWidth)..<fused.rows, name: p + "attn_v")
        } else {
            query = try matrix(p + "attn_q.weight", inputs: d, outputs: c.queryWidth)
            key = try matrix(p + "attn_k.weight", inputs: d, outputs: c.kvWidth)
            value = try matrix(p + "attn_v.weight", inputs: d, outputs: c.kvWidth)
        }
        let gate: WeightMatrix, up: WeightMatrix
        if file.tensor(named: p + "ffn_gate.weight") == nil {
            let fused = try matrix(p + "ffn_up.weight", inputs: d, outputs: 2 * f)
            gate = fused.rows(0..<f, name: p + "ffn_gate")
            up = fused.rows(f..<(2 * f), name: p + "ffn_up")
        } else {
            gate = try matrix(p + "ffn_gate.weight", inputs: d, outputs: f)
            up = try matrix(p + "ffn_up.weight", inputs: d, outputs: f)
        }
        return LayerWeights(
            attentionNorm: try vector(p + "attn_norm.weight", count: d),
            query: query, key: key, value: value,
            output: try matrix(p + "attn_output.weight", inputs: c.queryWidth, outputs: d),
            queryBias: try optionalVector(p + "attn_q.bias", count: c.queryWidth),
            keyBias: try optionalVector(p + "attn_k.bias", count: c.kvWidth),
            valueBias: try optionalVector(p + "attn_v.bias", count: c.kvWidth),
            queryNorm: try optionalVector(p + "attn_q_norm.weight", count: c.headDimension),
            keyNorm: try optionalVector(p + "attn_k_norm.weight", count: c.headDimension),
            postAttentionNorm: try optionalVector(p + "post_attention_norm.weight", count: d),
            feedForwardNorm: try vector(p + "ffn_norm.weight", count: d),
            gate: gate, up: up,
            down: try matrix(p + "ffn_down.weight", inputs: f, outputs: d),
            postFeedForwardNorm: try optionalVector(p + "post_ffw_norm.weight", count: d))
    }

    func standardWeights(config c: ModelConfig) throws(ModelError) -> ModelWeights {
        // LongRoPE frequency factors (Phi-3 128k) change every angle; refuse rather than
        // answer wrongly.
        if file.tensor(named: "rope_factors_long.weight") != nil || file.tensor(named: "rope_factors_short.weight") != nil {
            throw .unsupportedFeature("RoPE frequency factors (LongRoPE)")
        }
        let embedding = try matrix("token_embd.weight", inputs: c.embeddingLength, outputs: c.vocabularySize)
        var layers: [LayerWeights] = []
        for i in 0..<c.layerCount { layers.append(try standardLayer(i, config: c)) }
        return ModelWeights(
            tokenEmbedding: embedding,
            outputNorm: try vector("output_norm.weight", count: c.embeddingLength),
            output: try optionalMatrix("output.weight", inputs: c.embeddingLength, outputs: c.vocabularySize) ?? embedding,
            layers: layers)
    }
}
