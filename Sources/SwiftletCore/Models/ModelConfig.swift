/// A decoder-only transformer's shape and the choices that tell architectures apart. Read
/// from the GGUF metadata by each architecture's file; the forward pass only reads this.
public struct ModelConfig: Sendable {
    public enum Activation: Sendable { case silu, gelu }

    public var architecture: Architecture
    /// Width of the residual stream (d).
    public var embeddingLength: Int
    public var layerCount: Int
    public var headCount: Int
    /// Key/value heads; each serves headCount / kvHeadCount query heads (grouped-query attention).
    public var kvHeadCount: Int
    public var headDimension: Int
    public var feedForwardLength: Int
    public var vocabularySize: Int
    /// The context the model was trained for (a session may use less).
    public var trainedContextLength: Int
    public var rmsEpsilon: Float
    public var activation: Activation
    public var ropeStyle: RopeStyle
    /// RoPE base for global-attention layers and for sliding-window layers.
    public var ropeBase: Float
    public var ropeBaseSlidingWindow: Float
    /// Tokens a sliding-window layer attends to (itself included); nil when all are global.
    public var slidingWindow: Int?
    /// Per layer: whether it attends within the sliding window only.
    public var slidingWindowLayers: [Bool]
    /// Multiplies token embeddings (Gemma: √d).
    public var embeddingScale: Float?
    /// Multiplies queries before attention (Gemma), and attention scores before softmax
    /// (Llama: 1/√head_dim).
    public var queryScale: Float
    public var scoreScale: Float
    /// Final logits become cap·tanh(logits/cap) when set (Gemma 2).
    public var finalLogitSoftcap: Float?
    /// Attention scores become cap·tanh(score/cap) before the softmax (Gemma 2).
    public var attentionLogitSoftcap: Float? = nil
    /// Leading dimensions of each head that RoPE rotates (Phi-3 may rotate fewer); nil: all.
    public var ropeDimensions: Int? = nil

    /// cap·tanh(logit/cap) over `count` logits where the model caps them (Gemma 2), as the
    /// CPU forward pass computes it; devices that skip it apply this to what they read back.
    public func capFinalLogits(_ logits: UnsafeMutablePointer<Float>, count: Int) {
        if let cap = finalLogitSoftcap { MathFunctions.softcap(logits, count: count, cap: cap) }
    }

    public var queryWidth: Int { headCount * headDimension }
    public var kvWidth: Int { kvHeadCount * headDimension }

    /// Checks what the forward pass relies on, so that bad metadata is an error, not a crash.
    func validated() throws(ModelError) -> ModelConfig {
        func require(_ condition: Bool, _ what: String) throws(ModelError) {
            if !condition { throw .invalidHyperparameter(what) }
        }
        try require(embeddingLength > 0 && embeddingLength <= 1 << 16, "embedding length \(embeddingLength)")
        try require(layerCount > 0 && layerCount <= 1024, "block count \(layerCount)")
        try require(headCount > 0 && kvHeadCount > 0 && headCount % kvHeadCount == 0,
                    "\(headCount) attention heads cannot share \(kvHeadCount) key/value heads")
        try require(headDimension > 0 && headDimension % 2 == 0 && headDimension <= 1024, "head dimension \(headDimension)")
        try require(feedForwardLength > 0 && feedForwardLength <= 1 << 18, "feed-forward length \(feedForwardLength)")
        try require(vocabularySize > 0, "vocabulary size \(vocabularySize)")
        try require(slidingWindowLayers.count == layerCount, "sliding-window pattern covers \(slidingWindowLayers.count) of \(layerCount) layers")
        if let slidingWindow { try require(slidingWindow > 0, "sliding window \(slidingWindow)") }
        if let ropeDimensions {
            try require(ropeDimensions > 0 && ropeDimensions % 2 == 0 && ropeDimensions <= headDimension, "rope dimension count \(ropeDimensions)")
        }
        return self
    }
}
