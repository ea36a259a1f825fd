/// Keys and values of the tokens a sequence has seen, per layer, stored as f16 (as
/// llama.cpp's default cache is). Global layers keep every position up to the context
/// size; sliding-window layers keep a ring of window + batch − 1 positions, all that
/// any query of a batch can still attend to.
public final class KVCache {
    public let contextSize: Int
    /// Positions each layer holds; position p lives in slot p % capacity.
    let capacity: [Int]
    let kvWidth: Int
    let keys: [UnsafeMutablePointer<UInt16>]    // per layer: [capacity × kv_heads·head_dim]
    let values: [UnsafeMutablePointer<UInt16>]  // per layer: [capacity × kv_heads·head_dim]

    public init(config: ModelConfig, contextSize: Int, maxBatch: Int) {
        self.contextSize = contextSize
        kvWidth = config.kvWidth
        capacity = config.slidingWindowLayers.map { sliding in
            if sliding, let window = config.slidingWindow { return min(contextSize, window + maxBatch - 1) }
            return contextSize
        }
        keys = capacity.map { UnsafeMutablePointer<UInt16>.allocate(capacity: $0 * config.kvWidth) }
        values = capacity.map { UnsafeMutablePointer<UInt16>.allocate(capacity: $0 * config.kvWidth) }
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
    }

    /// Bytes held, for reporting memory use.
    public var byteCount: Int { capacity.reduce(0, +) * kvWidth * 2 * 2 }

    @inline(__always)
    func key(layer: Int, position: Int) -> UnsafeMutablePointer<UInt16> {
        keys[layer] + (position % capacity[layer]) * kvWidth
    }

    @inline(__always)
    func value(layer: Int, position: Int) -> UnsafeMutablePointer<UInt16> {
        values[layer] + (position % capacity[layer]) * kvWidth
    }
}
