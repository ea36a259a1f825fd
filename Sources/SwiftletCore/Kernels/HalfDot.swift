/// Sums of products over f16 values (attention over an f16 cache) in the orders llama.cpp's
/// x86 build with AVX-512 uses, so attention results match it to the bit: a batch of tokens
/// goes through tinyBLAS (one 16-lane accumulator), a single token through
/// ggml_vec_dot_f16 (four 16-lane accumulators over steps of 64). Products of two halves
/// are exact in f32, so only the order of the additions matters.
public enum HalfDot {
    public enum Order: Sendable {
        case batched, single

        /// Values summed per step: a step's value k goes to accumulator lane k.
        var step: Int { self == .batched ? 16 : 64 }
    }

    /// Σ x[i]·y[i] for i in 0..<count (a multiple of 16 for `.batched`; callers pad with
    /// zeros, which add nothing).
    @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int, order: Order) -> Float {
        var lanes = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        var i = 0
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
            UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
        }
        switch order {
        case .batched:
            while i + 16 <= count {
                lanes.0 += load(x + i) * load(y + i)
                i += 16
            }
            precondition(i == count, "a batched half dot needs a multiple of 16 values")
            return IntegerDot.horizontalSum(lanes.0)
        case .single:
            while i + 64 <= count {
                lanes.0 += load(x + i) * load(y + i)
                lanes.1 += load(x + i + 16) * load(y + i + 16)
                lanes.2 += load(x + i + 32) * load(y + i + 32)
                lanes.3 += load(x + i + 48) * load(y + i + 48)
                i += 64
            }
            var total = Double(combine(lanes))
            while i < count {
                total += Double(x[i] * y[i])
                i += 1
            }
            return Float(total)
        }
    }

    /// `dot(key, queries[h], order: .batched)` for `heads` (1 to 4) queries `queryStride`
    /// apart, loading each key value once for all of them (query heads that share a key
    /// head). With `exactProducts` (an f16 cache: keys and queries are f16 values, whose
    /// products are exact in f32) the multiply-adds are fused, with the same results.
    @inline(__always)
    public static func batchedDots(
        _ key: UnsafePointer<Float>, queries: UnsafePointer<Float>, queryStride: Int, heads: Int, count: Int, exactProducts: Bool
    ) -> SIMD4<Float> {
        precondition(heads >= 1 && heads <= 4 && count % 16 == 0)
        return specialized(heads: heads, exactProducts: exactProducts) { heads, exact in
            var lanes = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
            var i = 0
            while i < count {
                let k = load(key + i)
                lanes.0 = accumulate(lanes.0, k, load(queries + i), exact)
                if heads > 1 { lanes.1 = accumulate(lanes.1, k, load(queries + queryStride + i), exact) }
                if heads > 2 { lanes.2 = accumulate(lanes.2, k, load(queries + 2 * queryStride + i), exact) }
                if heads > 3 { lanes.3 = accumulate(lanes.3, k, load(queries + 3 * queryStride + i), exact) }
                i &+= 16
            }
            return SIMD4(
                IntegerDot.horizontalSum(lanes.0), IntegerDot.horizontalSum(lanes.1),
                IntegerDot.horizontalSum(lanes.2), IntegerDot.horizontalSum(lanes.3))
        }
    }

    /// `WeightedSum` in the `.batched` order for `heads` (1 to 4) weight rows at once, each
    /// vector loaded once for all of them: out[h · width + i] = Σ_j weights[h · span + j]·v_j[i]
    /// over j in 0..<span, where v_j = `vectors[j]` (nil: masked, skipped). Each lane's sum
    /// stays in registers across the whole span instead of going back to memory per vector.
    /// `scratch` holds heads × 16 × width floats.
    public static func batchedWeightedSums(
        heads: Int, weights: UnsafePointer<Float>, span: Int, width: Int, exactProducts: Bool,
        vectors: UnsafePointer<UnsafePointer<Float>?>, scratch: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        precondition(heads >= 1 && heads <= 4 && width % 16 == 0)
        let step = Order.batched.step
        // lanes[h]: [step × width], lane k collecting the vectors j ≡ k (mod step).
        func lanes(_ h: Int) -> UnsafeMutablePointer<Float> { scratch + h * step * width }
        specialized(heads: heads, exactProducts: exactProducts) { heads, exact in
            for k in 0..<step {
                var i = 0
                while i < width {
                    var sums = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
                    var j = k
                    while j < span {
                        if let v = vectors[j] {
                            let x = load(v + i)
                            sums.0 = accumulate(sums.0, x, SIMD16(repeating: weights[j]), exact)
                            if heads > 1 { sums.1 = accumulate(sums.1, x, SIMD16(repeating: weights[span &+ j]), exact) }
                            if heads > 2 { sums.2 = accumulate(sums.2, x, SIMD16(repeating: weights[2 &* span &+ j]), exact) }
                            if heads > 3 { sums.3 = accumulate(sums.3, x, SIMD16(repeating: weights[3 &* span &+ j]), exact) }
                        }
                        j &+= step
                    }
                    let lane = k * width + i
                    UnsafeMutableRawPointer(lanes(0) + lane).storeBytes(of: sums.0, as: SIMD16<Float>.self)
                    if heads > 1 { UnsafeMutableRawPointer(lanes(1) + lane).storeBytes(of: sums.1, as: SIMD16<Float>.self) }
                    if heads > 2 { UnsafeMutableRawPointer(lanes(2) + lane).storeBytes(of: sums.2, as: SIMD16<Float>.self) }
                    if heads > 3 { UnsafeMutableRawPointer(lanes(3) + lane).storeBytes(of: sums.3, as: SIMD16<Float>.self) }
                    i &+= 16
                }
            }
        }
        for h in 0..<heads {
            WeightedSum(order: .batched, width: width, lanes: lanes(h)).result(into: out + h * width)
        }
    }

    /// Calls `body` with `heads` and `exactProducts` as constants, so that the branches on
    /// them leave its inner loops.
    @inline(__always)
    private static func specialized<Result>(heads: Int, exactProducts: Bool, _ body: (Int, Bool) -> Result) -> Result {
        switch (heads, exactProducts) {
        case (4, true): body(4, true)
        case (3, true): body(3, true)
        case (2, true): body(2, true)
        case (_, true): body(1, true)
        case (4, false): body(4, false)
        case (3, false): body(3, false)
        case (2, false): body(2, false)
        case (_, false): body(1, false)
        }
    }

    /// sum + x·y; fused where the product is exact anyway (and the target has the instruction).
    @inline(__always)
    private static func accumulate(_ sum: SIMD16<Float>, _ x: SIMD16<Float>, _ y: SIMD16<Float>, _ exactProducts: Bool) -> SIMD16<Float> {
        #if arch(x86_64) || arch(arm64)
        if exactProducts { return sum.addingProduct(x, y) }
        #endif
        return sum + x * y
    }

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// Weighted sums of vectors, out[i] = Σ_j w[j]·v_j[i], each out[i] summed over j exactly
    /// as `dot` sums over its index: lane rows `lanes[k]` ([step × width]) collect the
    /// vectors whose j falls on lane k, then the lanes are combined per element.
    public struct WeightedSum {
        let order: Order
        let width: Int
        let lanes: UnsafeMutablePointer<Float>  // [step × width]

        /// `scratch` holds step × width floats.
        public init(order: Order, width: Int, scratch: UnsafeMutablePointer<Float>) {
            self.init(order: order, width: width, lanes: scratch)
            lanes.initialize(repeating: 0, count: order.step * width)
        }

        /// Over lane rows already summed.
        init(order: Order, width: Int, lanes: UnsafeMutablePointer<Float>) {
            (self.order, self.width, self.lanes) = (order, width, lanes)
        }

        /// Adds weight·v (v: [width]) for index j.
        @inline(__always)
        public func add(_ v: UnsafePointer<Float>, weight: Float, index j: Int) {
            let row = lanes + (j % order.step) * width
            for i in 0..<width { row[i] += v[i] * weight }
        }

        /// out: [width]. Reduces the lane rows in place, whole rows at a time, in the
        /// order `combine` and `IntegerDot.horizontalSum` reduce lanes.
        public func result(into out: UnsafeMutablePointer<Float>) {
            let width = width
            func row(_ k: Int) -> UnsafeMutablePointer<Float> { lanes + k * width }
            if order == .single {
                for k in 0..<16 {
                    let (a, b, c, d) = (row(k), row(16 + k), row(32 + k), row(48 + k))
                    for i in 0..<width { a[i] = (a[i] + c[i]) + (b[i] + d[i]) }
                }
            }
            for half in stride(from: 8, through: 4, by: -4) {
                for k in 0..<half {
                    let (low, high) = (row(k), row(half + k))
                    for i in 0..<width { low[i] = high[i] + low[i] }
                }
            }
            let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3))
            for i in 0..<width { out[i] = (r0[i] + r2[i]) + (r1[i] + r3[i]) }
        }
    }

    /// ggml_vec_dot_f16's reduction of its four accumulators.
    @inline(__always)
    static func combine(_ lanes: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>)) -> Float {
        IntegerDot.horizontalSum((lanes.0 + lanes.2) + (lanes.1 + lanes.3))
    }
}
