/// Scratch buffers for one forward pass of up to `maxBatch` tokens, allocated once per
/// session so the token loop allocates nothing.
public final class ForwardState {
    public let maxBatch: Int
    let x: UnsafeMutablePointer<Float>            // [batch × d] residual stream
    let normed: UnsafeMutablePointer<Float>       // [batch × d]
    let q: UnsafeMutablePointer<Float>            // [batch × heads·head_dim]
    let k: UnsafeMutablePointer<Float>            // [batch × kv_heads·head_dim]
    let v: UnsafeMutablePointer<Float>            // [batch × kv_heads·head_dim]
    let attention: UnsafeMutablePointer<Float>    // [batch × heads·head_dim]
    let projected: UnsafeMutablePointer<Float>    // [batch × d]
    let gate: UnsafeMutablePointer<Float>         // [batch × ffn]
    let up: UnsafeMutablePointer<Float>           // [batch × ffn]
    let ropeTables: UnsafeMutablePointer<Float>   // [batch × head_dim] cos/sin pairs per position
    let activations: UnsafeMutableRawPointer      // [3 slots × activationSlotBytes] bytes
    /// One quantized input: batch × the widest quantized row.
    let activationSlotBytes: Int
    /// Logits of the last token of a pass, or of every token when all were asked for.
    public let logits: UnsafeMutablePointer<Float> // [batch × vocab]
    public private(set) var logitRows = 0
    let buffers: [UnsafeMutableRawPointer]

    public init(config c: ModelConfig, maxBatch: Int, weights: [WeightMatrix]) {
        self.maxBatch = maxBatch
        var buffers: [UnsafeMutableRawPointer] = []
        // Left uninitialized: every pass writes what it reads, and not touching the pages
        // keeps a session cheap to open (the logits alone can be 100 MB for a big batch).
        func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            buffers.append(UnsafeMutableRawPointer(pointer))
            return pointer
        }
        x = floats(maxBatch * c.embeddingLength)
        normed = floats(maxBatch * c.embeddingLength)
        q = floats(maxBatch * c.queryWidth)
        k = floats(maxBatch * c.kvWidth)
        v = floats(maxBatch * c.kvWidth)
        attention = floats(maxBatch * c.queryWidth)
        projected = floats(maxBatch * c.embeddingLength)
        gate = floats(maxBatch * c.feedForwardLength)
        up = floats(maxBatch * c.feedForwardLength)
        ropeTables = floats(maxBatch * c.headDimension)
        logits = floats(maxBatch * c.vocabularySize)
        let widest = weights.reduce(0) { max($0, $1.activationRowBytes) }
        activationSlotBytes = (maxBatch * widest + 63) / 64 * 64
        activations = UnsafeMutableRawPointer.allocate(byteCount: max(1, 3 * activationSlotBytes), alignment: 64)
        buffers.append(activations)
        self.buffers = buffers
    }

    deinit { buffers.forEach { $0.deallocate() } }

    func setLogitRows(_ rows: Int) { logitRows = rows }
}
