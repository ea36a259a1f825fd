/// A loaded model: its configuration and weights (views into the model file). Immutable,
/// so sessions can share it; each session owns its `KVCache` and `ForwardState`.
public final class Transformer {
    public let config: ModelConfig
    let weights: ModelWeights
    /// Per layer: the rotary embedding with that layer's base.
    let rotaries: [RotaryEmbedding]
    /// The file the weights point into.
    let owner: ModelBytes?

    public init(_ file: GGUFFile, math: PlatformMath = .portable) throws(ModelError) {
        let config: ModelConfig
        switch try Architecture(file) {
        case .llama: config = try .llama(file)
        case .qwen2: config = try .qwen2(file)
        case .qwen3: config = try .qwen3(file)
        case .phi3: config = try .phi3(file)
        case .gemma: config = try .gemma(file)
        case .gemma2: config = try .gemma2(file)
        case .gemma3: config = try .gemma3(file)
        }
        self.config = config
        owner = file.owner
        weights = try TensorBinder(file: file).standardWeights(config: config)
        rotaries = config.slidingWindowLayers.map { sliding in
            RotaryEmbedding(
                style: config.ropeStyle, dimensions: config.ropeDimensions ?? config.headDimension,
                base: sliding ? config.ropeBaseSlidingWindow : config.ropeBase, math: math)
        }
    }

    /// Every weight matrix, for sizing scratch buffers.
    public var matrices: [WeightMatrix] {
        [weights.output] + weights.layers.flatMap { [$0.query, $0.key, $0.value, $0.output, $0.gate, $0.up, $0.down] }
    }

    public func makeState(maxBatch: Int) -> ForwardState {
        ForwardState(config: config, maxBatch: maxBatch, weights: matrices)
    }

    public func makeCache(contextSize: Int, maxBatch: Int, precision: Precision = .f16) -> KVCache {
        KVCache(config: config, contextSize: contextSize, maxBatch: maxBatch, precision: precision)
    }

    /// Runs `tokens` (at most `state.maxBatch`) at positions `start ..< start + count`,
    /// storing their keys and values in `cache`, and leaves in `state.logits` the logits of
    /// the tokens from index `logitsFrom` on (default: the last one only). The vocabulary
    /// projection is the costliest matrix, so it runs only for the rows asked for.
    ///
    /// With `decodeArithmetic`, each token's row is computed with the one-token kernels and
    /// attention order, so its logits are bit for bit those of decoding the tokens one at a
    /// time: a pass that verifies drafted tokens changes no answer.
    public func forward(
        _ tokens: UnsafeBufferPointer<Int32>, start: Int, cache: KVCache, state s: ForwardState,
        logitsFrom: Int? = nil, decodeArithmetic: Bool = false, parallel: ParallelFor = serialFor
    ) {
        let c = config
        let n = tokens.count
        precondition(n > 0 && n <= s.maxBatch && start + n <= cache.contextSize)
        let d = c.embeddingLength

        for (b, token) in tokens.enumerated() {
            weights.tokenEmbedding.dequantizeRow(Int(token), into: s.x + b * d)
            if let scale = c.embeddingScale { Ops.scale(s.x + b * d, by: scale, count: d) }
        }

        let outputs = min(max(logitsFrom ?? (n - 1), 0), n - 1)..<n
        for (layer, w) in weights.layers.enumerated() {
            attentionBlock(layer: layer, w, count: n, start: start, cache: cache, decodeArithmetic, s, parallel)
            // The last layer's feed-forward only matters for the output rows, and llama.cpp
            // runs it for those alone, which sets the batch size its kernels see.
            let rows = layer == weights.layers.count - 1 ? outputs : 0..<n
            feedForwardBlock(w, rows: rows, exactGELU: cache.precision == .f32, decodeArithmetic, s, parallel)
        }

        for (row, b) in outputs.enumerated() {
            Ops.rmsNorm(s.x + b * d, weight: weights.outputNorm, into: s.normed + row * d, count: d, epsilon: c.rmsEpsilon)
        }
        weights.output.multiply(
            s.normed, batch: outputs.count, into: s.logits, scratch: s.activations, decodeArithmetic: decodeArithmetic, parallel: parallel)
        c.capFinalLogits(s.logits, count: outputs.count * c.vocabularySize)
        s.setLogitRows(outputs.count)
    }

    // MARK: Blocks

    private func attentionBlock(
        layer: Int, _ w: LayerWeights, count n: Int, start: Int, cache: KVCache, _ decodeArithmetic: Bool, _ s: ForwardState,
        _ parallel: ParallelFor
    ) {
        let c = config
        let d = c.embeddingLength
        let hd = c.headDimension
        forEachToken(n, parallel) { b in
            Ops.rmsNorm(s.x + b * d, weight: w.attentionNorm, into: s.normed + b * d, count: d, epsilon: c.rmsEpsilon)
        }
        WeightMatrix.multiply(
            w.query, into: s.q, w.key, into: s.k, w.value, into: s.v,
            input: s.normed, batch: n, scratch: s.activations, slotBytes: s.activationSlotBytes,
            decodeArithmetic: decodeArithmetic, parallel: parallel)
        forEachToken(n, parallel) { b in
            if let bias = w.queryBias { Ops.add(bias, to: s.q + b * c.queryWidth, count: c.queryWidth) }
            if let bias = w.keyBias { Ops.add(bias, to: s.k + b * c.kvWidth, count: c.kvWidth) }
            if let bias = w.valueBias { Ops.add(bias, to: s.v + b * c.kvWidth, count: c.kvWidth) }
        }

        let rotary = rotaries[layer]
        forEachToken(n, parallel) { b in
            let q = s.q + b * c.queryWidth, k = s.k + b * c.kvWidth
            if let norm = w.queryNorm {
                for h in 0..<c.headCount { Ops.rmsNorm(q + h * hd, weight: norm, into: q + h * hd, count: hd, epsilon: c.rmsEpsilon) }
            }
            if let norm = w.keyNorm {
                for h in 0..<c.kvHeadCount { Ops.rmsNorm(k + h * hd, weight: norm, into: k + h * hd, count: hd, epsilon: c.rmsEpsilon) }
            }
            let table = s.ropeTables + b * hd
            rotary.angles(position: start + b, into: table)
            rotary.apply(q, heads: c.headCount, headStride: hd, table: table)
            rotary.apply(k, heads: c.kvHeadCount, headStride: hd, table: table)
            if c.queryScale != 1 { Ops.scale(q, by: c.queryScale, count: c.queryWidth) }
            cache.store(layer: layer, position: start + b, key: k, value: s.v + b * c.kvWidth)
        }

        let window = c.slidingWindowLayers[layer] ? c.slidingWindow : nil
        let oldest = window.map { max(0, start - $0 + 1) } ?? 0
        let rows = cache.floatRows(layer: layer, positions: oldest...(start + n - 1), parallel: parallel)
        let (capacity, half) = (cache.capacity[layer], cache.precision == .f16)
        if n > 1 && !decodeArithmetic {
            // A task per token and key head: the query heads that share it read each cached
            // row once between them.
            parallel(n * c.kvHeadCount) { task in
                let (b, g) = task.quotientAndRemainder(dividingBy: c.kvHeadCount)
                attendBatched(kvHead: g, position: start + b, window: window, queries: s.q + b * c.queryWidth,
                              into: s.attention + b * c.queryWidth, keys: rows.keys, values: rows.values, capacity: capacity, half: half)
            }
        } else {
            // Token by token (the heads share one token's scratch), each seeing the
            // positions up to its own.
            for b in 0..<n {
                let (q, out) = (s.q + b * c.queryWidth, s.attention + b * c.queryWidth)
                parallel(c.headCount) { h in
                    attendHead(head: h, position: start + b, window: window, query: q + h * hd, into: out + h * hd,
                               keys: rows.keys, values: rows.values, capacity: capacity, half: half,
                               scratch: cache.headScratch + h * cache.headScratchFloats, scratchFloats: cache.headScratchFloats)
                }
            }
        }

        w.output.multiply(
            s.attention, batch: n, into: s.projected, scratch: s.activations, decodeArithmetic: decodeArithmetic, parallel: parallel)
        forEachToken(n, parallel) { b in
            let out = s.projected + b * d
            if let norm = w.postAttentionNorm { Ops.rmsNorm(out, weight: norm, into: out, count: d, epsilon: c.rmsEpsilon) }
            Ops.add(out, to: s.x + b * d, count: d)
        }
    }

    /// The feed-forward block on rows `rows` of the batch in `s.x`.
    private func feedForwardBlock(
        _ w: LayerWeights, rows: Range<Int>, exactGELU: Bool, _ decodeArithmetic: Bool, _ s: ForwardState, _ parallel: ParallelFor
    ) {
        let c = config
        let d = c.embeddingLength
        let f = c.feedForwardLength
        let n = rows.count
        let x = s.x + rows.lowerBound * d
        forEachToken(n, parallel) { b in
            Ops.rmsNorm(x + b * d, weight: w.feedForwardNorm, into: s.normed + b * d, count: d, epsilon: c.rmsEpsilon)
        }
        WeightMatrix.multiply(
            w.gate, into: s.gate, w.up, into: s.up,
            input: s.normed, batch: n, scratch: s.activations, slotBytes: s.activationSlotBytes,
            decodeArithmetic: decodeArithmetic, parallel: parallel)
        // gate ← activation(gate) · up, token by token.
        forEachToken(n, parallel) { b in
            let range = (b * f)..<((b + 1) * f)
            switch (c.activation, exactGELU) {
            case (.silu, _):
                var i = range.lowerBound
                while i + 16 <= range.upperBound {
                    let g = UnsafeMutableRawPointer(s.gate + i), u = UnsafeRawPointer(s.up + i)
                    let activated = MathFunctions.silu(g.loadUnaligned(as: SIMD16<Float>.self))
                    g.storeBytes(of: activated * u.loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
                    i += 16
                }
                for i in i..<range.upperBound { s.gate[i] = MathFunctions.silu(s.gate[i]) * s.up[i] }
            case (.gelu, true):
                for i in range { s.gate[i] = MathFunctions.geluExact(s.gate[i]) * s.up[i] }
            case (.gelu, false):
                MathFunctions.geluTable.withUnsafeBufferPointer { table in
                    for i in range { s.gate[i] = MathFunctions.gelu(s.gate[i], table: table.baseAddress!) * s.up[i] }
                }
            }
        }
        w.down.multiply(
            s.gate, batch: n, into: s.projected, scratch: s.activations, decodeArithmetic: decodeArithmetic, parallel: parallel)
        forEachToken(n, parallel) { b in
            let out = s.projected + b * d
            if let norm = w.postFeedForwardNorm { Ops.rmsNorm(out, weight: norm, into: out, count: d, epsilon: c.rmsEpsilon) }
            Ops.add(out, to: x + b * d, count: d)
        }
    }

    /// Runs `body` for each token of a batch: across the pool for 16 tokens or more, where
    /// the per-token work (norms, rotary angles, cache stores) pays for a barrier.
    @inline(__always)
    private func forEachToken(_ n: Int, _ parallel: ParallelFor, _ body: (Int) -> Void) {
        if n >= 16 { withoutActuallyEscaping(body) { parallel(n, $0) } } else { (0..<n).forEach(body) }
    }
}
