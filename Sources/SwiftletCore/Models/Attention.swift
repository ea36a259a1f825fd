/// Attention over the cached keys and values, as llama.cpp computes it. With an f16 cache
/// the queries and the attention weights are rounded to f16 before meeting keys and values,
/// and sums run in llama.cpp's orders (HalfDot: `.batched` when the pass holds several
/// tokens, `.single` for one), grouped by absolute position as its cache cells are.
/// `keys`, `values`: a layer's cached rows as floats ([capacity × kv width], position p in
/// row p % capacity).
extension Transformer {
    /// One query head of the single token at `position`. `scratch` holds `scratchFloats`.
    func attendHead(
        head: Int, position: Int, window: Int?, query: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, capacity: Int, half: Bool,
        scratch: UnsafeMutablePointer<Float>, scratchFloats: Int
    ) {
        let c = config
        let hd = c.headDimension
        let kvOffset = (head / (c.headCount / c.kvHeadCount)) * hd
        let visible = VisibleSpan(position: position, window: window, group: HalfDot.Order.single.step)
        func row(_ rows: UnsafePointer<Float>, _ j: Int) -> UnsafePointer<Float>? {
            visible.row(j, of: rows, capacity: capacity, rowStride: c.kvWidth, offset: kvOffset)
        }
        // scratch: scores [span], q [hd], lanes [step × hd]
        precondition(visible.span + (1 + HalfDot.Order.single.step) * hd <= scratchFloats)
        let scores = scratch
        let q = scores + visible.span, lanes = q + hd
        for i in 0..<hd { q[i] = half ? HalfPrecision.float(fromHalf: HalfPrecision.half(fromFloat: query[i])) : query[i] }
        for j in 0..<visible.span {
            scores[j] = row(keys, j).map { HalfDot.dot($0, q, count: hd, order: .single) * c.scoreScale } ?? -.infinity
        }
        capScores(scores, visible)
        Ops.softmax(scores, count: visible.span)
        if half { Ops.roundToHalf(scores, count: visible.span) }
        // Masked positions would add 0·0; they are skipped.
        let sum = HalfDot.WeightedSum(order: .single, width: hd, scratch: lanes)
        for j in 0..<visible.span {
            if let v = row(values, j) { sum.add(v, weight: scores[j], index: j) }
        }
        sum.result(into: out)
    }

    /// The query heads sharing key head `kvHead`, for the token at `position` of a batch:
    /// up to 4 heads at a time meet each cached row, loaded once for them.
    /// `queries`, `out`: the token's rows ([heads × head dimension]).
    func attendBatched(
        kvHead: Int, position: Int, window: Int?, queries: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, capacity: Int, half: Bool
    ) {
        let c = config
        let hd = c.headDimension
        let group = c.headCount / c.kvHeadCount
        let kvOffset = kvHead * hd
        let visible = VisibleSpan(position: position, window: window, group: HalfDot.Order.batched.step)
        let span = visible.span
        func row(_ rows: UnsafePointer<Float>, _ j: Int) -> UnsafePointer<Float>? {
            visible.row(j, of: rows, capacity: capacity, rowStride: c.kvWidth, offset: kvOffset)
        }
        // valueRows: [span] (nil where masked), then floats: scores [4 × span], q [4 × hd],
        // lanes [4 × step × hd]
        let floats = 4 * (span + hd + HalfDot.Order.batched.step * hd)
        let pointerBytes = span * MemoryLayout<UnsafePointer<Float>?>.stride
        withScratch(byteCount: pointerBytes + floats * 4) { buffer in
            let valueRows = buffer.bindMemory(to: UnsafePointer<Float>?.self, capacity: span)
            for j in 0..<span { valueRows[j] = row(values, j) }
            let scores = (buffer + pointerBytes).bindMemory(to: Float.self, capacity: floats)
            let q = scores + 4 * span, lanes = q + 4 * hd
            for first in stride(from: group * kvHead, to: group * (kvHead + 1), by: 4) {
                let heads = min(4, group * (kvHead + 1) - first)
                let query = queries + first * hd
                for i in 0..<(heads * hd) {
                    q[i] = half ? HalfPrecision.float(fromHalf: HalfPrecision.half(fromFloat: query[i])) : query[i]
                }
                for j in 0..<span {
                    guard let key = row(keys, j) else {
                        for h in 0..<heads { scores[h * span + j] = -.infinity }
                        continue
                    }
                    let dots = HalfDot.batchedDots(key, queries: q, queryStride: hd, heads: heads, count: hd, exactProducts: half)
                    for h in 0..<heads { scores[h * span + j] = dots[h] * c.scoreScale }
                }
                for h in 0..<heads {
                    capScores(scores + h * span, visible)
                    Ops.softmax(scores + h * span, count: span)
                    if half { Ops.roundToHalf(scores + h * span, count: span) }
                }
                HalfDot.batchedWeightedSums(
                    heads: heads, weights: scores, span: span, width: hd, exactProducts: half,
                    vectors: valueRows, scratch: lanes, into: out + first * hd)
            }
        }
    }

    /// Soft-caps the visible scores of a span where the model asks (Gemma 2); masked ones
    /// stay −∞.
    @inline(__always)
    private func capScores(_ scores: UnsafeMutablePointer<Float>, _ visible: VisibleSpan) {
        guard let cap = config.attentionLogitSoftcap else { return }
        let indices = visible.visibleIndices
        MathFunctions.softcap(scores + indices.lowerBound, count: indices.count, cap: cap)
    }
}

/// The cached positions a query at `position` sees (all earlier ones, or the last `window`),
/// widened to whole groups of `group` positions as the summation orders need; j indexes
/// them from the group start.
private struct VisibleSpan {
    let first: Int
    let last: Int
    let groupStart: Int
    let span: Int

    init(position: Int, window: Int?, group: Int) {
        first = window.map { max(0, position - $0 + 1) } ?? 0
        last = position
        groupStart = first / group * group
        span = (position / group + 1) * group - groupStart
    }

    /// The indices j of the positions not masked.
    var visibleIndices: Range<Int> { (first - groupStart)..<(last - groupStart + 1) }

    /// The cached row of index j (position p at row p % capacity of `rows`, `rowStride`
    /// floats apart, from `offset`), nil where it is masked.
    @inline(__always)
    func row(_ j: Int, of rows: UnsafePointer<Float>, capacity: Int, rowStride: Int, offset: Int) -> UnsafePointer<Float>? {
        let p = groupStart + j
        return p >= first && p <= last ? rows + (p % capacity) * rowStride + offset : nil
    }
}
