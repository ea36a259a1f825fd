/// Where the forward pass rounds to half precision. `.f16` does as llama.cpp's CPU backend:
/// an f16 KV cache (half the memory), the query and attention weights rounded to f16 to
/// meet it, GELU through a table indexed by f16 inputs; the fidelity tests compare it with
/// llama.cpp bit for bit. `.f32` keeps all of it in f32, for checking an architecture
/// against a float reference.
public enum Precision: Sendable {
    case f16, f32

    var bytes: Int { self == .f16 ? 2 : 4 }
}

/// Keys and values of the tokens a sequence has seen, per layer. Global layers keep every
/// position up to the context size; sliding-window layers keep a ring of
/// window + batch − 1 positions, all that any query of a batch can still attend to.
public final class KVCache {
    public let contextSize: Int
    public let precision: Precision
    /// Positions each layer holds; position p lives in slot p % capacity.
    let capacity: [Int]
    let kvWidth: Int
    let keys: [UnsafeMutableRawPointer]    // per layer: [capacity × kv_heads·head_dim] of f16 or f32
    let values: [UnsafeMutableRawPointer]  // per layer: [capacity × kv_heads·head_dim] of f16 or f32

    public init(config: ModelConfig, contextSize: Int, maxBatch: Int, precision: Precision = .f16) {
        self.contextSize = contextSize
        self.precision = precision
        kvWidth = config.kvWidth
        capacity = config.slidingWindowLayers.map { sliding in
            if sliding, let window = config.slidingWindow { return min(contextSize, window + maxBatch - 1) }
            return contextSize
        }
        let rowBytes = config.kvWidth * precision.bytes
        keys = capacity.map { UnsafeMutableRawPointer.allocate(byteCount: $0 * rowBytes, alignment: 64) }
        values = capacity.map { UnsafeMutableRawPointer.allocate(byteCount: $0 * rowBytes, alignment: 64) }
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
    }

    /// Bytes held, for reporting memory use.
    public var byteCount: Int { capacity.reduce(0, +) * kvWidth * precision.bytes * 2 }

    /// Stores the key and value rows ([kv_heads·head_dim] each) of `position`.
    @inline(__always)
    func store(layer: Int, position: Int, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        let slot = (position % capacity[layer]) * kvWidth
        switch precision {
        case .f16:
            let k = keys[layer].assumingMemoryBound(to: UInt16.self) + slot
            let v = values[layer].assumingMemoryBound(to: UInt16.self) + slot
            for i in 0..<kvWidth {
                k[i] = HalfPrecision.half(fromFloat: key[i])
                v[i] = HalfPrecision.half(fromFloat: value[i])
            }
        case .f32:
            (keys[layer].assumingMemoryBound(to: Float.self) + slot).update(from: key, count: kvWidth)
            (values[layer].assumingMemoryBound(to: Float.self) + slot).update(from: value, count: kvWidth)
        }
    }

    /// Elements `offset ..< offset + count` of the key row of `position`, as floats.
    @inline(__always)
    func loadKey(layer: Int, position: Int, offset: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        load(keys[layer], (position % capacity[layer]) * kvWidth + offset, count, out)
    }

    @inline(__always)
    func loadValue(layer: Int, position: Int, offset: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        load(values[layer], (position % capacity[layer]) * kvWidth + offset, count, out)
    }

    @inline(__always)
    private func load(_ base: UnsafeMutableRawPointer, _ start: Int, _ count: Int, _ out: UnsafeMutablePointer<Float>) {
        switch precision {
        case .f16:
            let halves = base.assumingMemoryBound(to: UInt16.self) + start
            for i in 0..<count { out[i] = HalfPrecision.float(fromHalf: halves[i]) }
        case .f32:
            out.update(from: base.assumingMemoryBound(to: Float.self) + start, count: count)
        }
    }
}
