/// The forward pass as data: the steps a device runs, in order, over named buffers. The
/// core decides what runs (per architecture, from `ModelConfig` and the weights); an
/// executor in a shell owns the device, allocates the buffers, compiles the kernels of
/// `wgsl/` and records one dispatch (or a few) per step. The CPU path runs
/// `Transformer.forward`, whose schedule reproduces llama.cpp's arithmetic; this plan
/// states the same model without that schedule.
public struct ForwardPlan {
    public let config: ModelConfig
    /// Per layer: positions its cache holds (position p in slot p % capacity).
    public let cacheCapacity: [Int]
    public let steps: [PlanStep]
    /// The maximum tokens in one pass, which sizes the activations.
    public let maxBatch: Int
}

/// The activations of a pass: each holds `width(config)` floats per token, for up to
/// `maxBatch` tokens.
public enum PlanBuffer: Sendable, Equatable, CaseIterable {
    case x, normed, q, k, v, attention, projected, gate, up

    public func width(_ c: ModelConfig) -> Int {
        switch self {
        case .x, .normed, .projected: c.embeddingLength
        case .q, .attention: c.queryWidth
        case .k, .v: c.kvWidth
        case .gate, .up: c.feedForwardLength
        }
    }
}

public enum PlanStep {
    /// x ← rows of the table for the pass's tokens, × scale.
    case embed(WeightMatrix, scale: Float)
    /// output ← RMSNorm(input) · weight, per token.
    case rmsNorm(input: PlanBuffer, weight: [Float], output: PlanBuffer)
    /// outputs[i] ← matrices[i] · input, per token. A layer's products of one input whose
    /// matrices share a format come as one step (q, k, v; gate, up), so that a device may run
    /// them as one product over the matrices stacked.
    case multiply([WeightMatrix], input: PlanBuffer, outputs: [PlanBuffer])
    /// q, k, v of a layer: biases added, per-head norms, RoPE, queries scaled; the keys and
    /// values stored in the layer's cache at the tokens' positions.
    case rotateAndStore(RotateAndStore)
    /// attention ← attention of q over the layer's cache (causal, windowed where set).
    case attend(layer: Int, window: Int?)
    /// gate ← activation(gate) · up.
    case gatedActivation(ModelConfig.Activation)
    /// x += postNorm(delta); normed ← nextNorm(x) when given.
    case residual(delta: PlanBuffer, postNorm: [Float]?, nextNorm: [Float]?)
    /// logits ← W · normed for the rows asked for (the last one, or all).
    case logits(WeightMatrix)
}

public struct RotateAndStore {
    public let layer: Int
    /// heads·head_dim + 2·kv_heads·head_dim: query, key, value biases (Qwen 2), or nil.
    public let biases: [Float]?
    /// [head_dim] each (Gemma 3, Qwen 3), or nil.
    public let queryNorm: [Float]?
    public let keyNorm: [Float]?
    public let ropeStyle: RopeStyle
    public let ropeDimensions: Int
    /// The angle of pair i at position p is p · thetaScale^i.
    public let thetaScale: Float
}

extension Transformer {
    /// The plan of a pass of up to `maxBatch` tokens with a context of `contextSize`.
    public func plan(contextSize: Int, maxBatch: Int) -> ForwardPlan {
        let c = config
        var steps: [PlanStep] = [.embed(weights.tokenEmbedding, scale: c.embeddingScale ?? 1)]
        steps.append(.rmsNorm(input: .x, weight: weights.layers[0].attentionNorm, output: .normed))
        for (layer, w) in weights.layers.enumerated() {
            steps += products([(w.query, .q), (w.key, .k), (w.value, .v)], input: .normed)
            let hasBias = w.queryBias != nil || w.keyBias != nil || w.valueBias != nil
            func zeros(_ n: Int) -> [Float] { [Float](repeating: 0, count: n) }
            let biases = hasBias
                ? (w.queryBias ?? zeros(c.queryWidth)) + (w.keyBias ?? zeros(c.kvWidth)) + (w.valueBias ?? zeros(c.kvWidth)) : nil
            let rotary = rotaries[layer]
            steps.append(.rotateAndStore(RotateAndStore(
                layer: layer, biases: biases, queryNorm: w.queryNorm, keyNorm: w.keyNorm,
                ropeStyle: rotary.style, ropeDimensions: rotary.dimensions, thetaScale: rotary.thetaScale)))
            steps.append(.attend(layer: layer, window: c.slidingWindowLayers[layer] ? c.slidingWindow : nil))
            steps += products([(w.output, .projected)], input: .attention)
            steps.append(.residual(delta: .projected, postNorm: w.postAttentionNorm, nextNorm: w.feedForwardNorm))
            steps += products([(w.gate, .gate), (w.up, .up)], input: .normed)
            steps.append(.gatedActivation(c.activation))
            steps += products([(w.down, .projected)], input: .gate)
            let next = layer + 1 < weights.layers.count ? weights.layers[layer + 1].attentionNorm : weights.outputNorm
            steps.append(.residual(delta: .projected, postNorm: w.postFeedForwardNorm, nextNorm: next))
        }
        steps.append(.logits(weights.output))
        return ForwardPlan(
            config: c, cacheCapacity: KVCache.capacities(config: c, contextSize: contextSize, maxBatch: maxBatch),
            steps: steps, maxBatch: maxBatch)
    }
}

/// The products of one input, consecutive matrices of one format grouped into one step.
private func products(_ pairs: [(WeightMatrix, PlanBuffer)], input: PlanBuffer) -> [PlanStep] {
    var steps: [PlanStep] = []
    var start = 0
    while start < pairs.count {
        var end = start + 1
        while end < pairs.count && pairs[end].0.type == pairs[start].0.type { end += 1 }
        let group = pairs[start..<end]
        steps.append(.multiply(group.map { $0.0 }, input: input, outputs: group.map { $0.1 }))
        start = end
    }
    return steps
}
