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
    /// An f16 cache's rows of one layer as floats, converted once per layer and pass
    /// rather than once per query head and token.
    let floatKeys: UnsafeMutablePointer<Float>?    // [max capacity × kv_heads·head_dim]
    let floatValues: UnsafeMutablePointer<Float>?  // [max capacity × kv_heads·head_dim]
    /// Scratch for one token's attention, a slice per query head, so that decoding
    /// allocates nothing: `headScratchFloats` each (scores over the visible span, the
    /// query, the weighted sum's lanes).
    let headScratch: UnsafeMutablePointer<Float>   // [heads × headScratchFloats]
    let headScratchFloats: Int
    let headCount: Int

    public init(config: ModelConfig, contextSize: Int, maxBatch: Int, precision: Precision = .f16) {
        self.contextSize = contextSize
        self.precision = precision
        kvWidth = config.kvWidth
        capacity = Self.capacities(config: config, contextSize: contextSize, maxBatch: maxBatch)
        let rowBytes = config.kvWidth * precision.bytes
        keys = capacity.map { UnsafeMutableRawPointer.allocate(byteCount: $0 * rowBytes, alignment: 64) }
        values = capacity.map { UnsafeMutableRawPointer.allocate(byteCount: $0 * rowBytes, alignment: 64) }
        let staging = precision == .f16 ? (capacity.max() ?? 0) * config.kvWidth : 0
        floatKeys = staging > 0 ? .allocate(capacity: staging) : nil
        floatValues = staging > 0 ? .allocate(capacity: staging) : nil
        // The span covers whole groups of 64 positions on both sides of the visible ones.
        headScratchFloats = (capacity.max() ?? 0) + 128 + (1 + HalfDot.Order.single.step) * config.headDimension
        headCount = config.headCount
        headScratch = .allocate(capacity: headCount * headScratchFloats)
    }

    /// Positions each layer keeps: the context, or a sliding window's ring.
    public static func capacities(config: ModelConfig, contextSize: Int, maxBatch: Int) -> [Int] {
        config.slidingWindowLayers.map { sliding in
            if sliding, let window = config.slidingWindow { return min(contextSize, window + maxBatch - 1) }
            return contextSize
        }
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
        floatKeys?.deallocate()
        floatValues?.deallocate()
        headScratch.deallocate()
    }

    /// Bytes held, for reporting memory use.
    public var byteCount: Int {
        let staging = floatKeys == nil ? 0 : (capacity.max() ?? 0) * kvWidth * 4 * 2
        return capacity.reduce(0, +) * kvWidth * precision.bytes * 2 + staging + headCount * headScratchFloats * 4
    }

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

    /// The key and value rows of `positions` in `layer` as floats ([capacity × kvWidth]
    /// each, position p in row p % capacity): the cache itself when it holds f32, else
    /// the staging buffers, filled for those positions (across the pool, 64 positions a
    /// task). Valid until the next call.
    func floatRows(layer: Int, positions: ClosedRange<Int>, parallel: ParallelFor) -> (keys: UnsafePointer<Float>, values: UnsafePointer<Float>) {
        guard let floatKeys, let floatValues else {
            return (UnsafePointer(keys[layer].assumingMemoryBound(to: Float.self)),
                    UnsafePointer(values[layer].assumingMemoryBound(to: Float.self)))
        }
        let ring = capacity[layer], kvWidth = kvWidth
        let halfKeys = keys[layer].assumingMemoryBound(to: UInt16.self)
        let halfValues = values[layer].assumingMemoryBound(to: UInt16.self)
        let chunk = 64
        parallel((positions.count + chunk - 1) / chunk) { task in
            var p = positions.lowerBound + task * chunk
            let last = min(p + chunk - 1, positions.upperBound)
            // Slots in runs that do not wrap around the ring.
            while p <= last {
                let slot = p % ring
                let run = min(last - p + 1, ring - slot)
                HalfPrecision.floats(fromHalves: halfKeys + slot * kvWidth, count: run * kvWidth, into: floatKeys + slot * kvWidth)
                HalfPrecision.floats(fromHalves: halfValues + slot * kvWidth, count: run * kvWidth, into: floatValues + slot * kvWidth)
                p += run
            }
        }
        return (UnsafePointer(floatKeys), UnsafePointer(floatValues))
    }
}
