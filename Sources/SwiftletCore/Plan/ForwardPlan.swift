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
    /// output ← W · input, per token.
    case multiply(WeightMatrix, input: PlanBuffer, output: PlanBuffer)
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
            steps += [
                .multiply(w.query, input: .normed, output: .q),
                .multiply(w.key, input: .normed, output: .k),
                .multiply(w.value, input: .normed, output: .v),
            ]
            let hasBias = w.queryBias != nil || w.keyBias != nil || w.valueBias != nil
            func zeros(_ n: Int) -> [Float] { [Float](repeating: 0, count: n) }
            let biases = hasBias
                ? (w.queryBias ?? zeros(c.queryWidth)) + (w.keyBias ?? zeros(c.kvWidth)) + (w.valueBias ?? zeros(c.kvWidth)) : nil
            let rotary = rotaries[layer]
            steps.append(.rotateAndStore(RotateAndStore(
                layer: layer, biases: biases, queryNorm: w.queryNorm, keyNorm: w.keyNorm,
                ropeStyle: rotary.style, ropeDimensions: rotary.dimensions, thetaScale: rotary.thetaScale)))
            steps.append(.attend(layer: layer, window: c.slidingWindowLayers[layer] ? c.slidingWindow : nil))
            steps.append(.multiply(w.output, input: .attention, output: .projected))
            steps.append(.residual(delta: .projected, postNorm: w.postAttentionNorm, nextNorm: w.feedForwardNorm))
            steps += [
                .multiply(w.gate, input: .normed, output: .gate),
                .multiply(w.up, input: .normed, output: .up),
                .gatedActivation(c.activation),
                .multiply(w.down, input: .gate, output: .projected),
            ]
            let next = layer + 1 < weights.layers.count ? weights.layers[layer + 1].attentionNorm : weights.outputNorm
            steps.append(.residual(delta: .projected, postNorm: w.postFeedForwardNorm, nextNorm: next))
        }
        steps.append(.logits(weights.output))
        return ForwardPlan(
            config: c, cacheCapacity: KVCache.capacities(config: c, contextSize: contextSize, maxBatch: maxBatch),
            steps: steps, maxBatch: maxBatch)
    }
}
