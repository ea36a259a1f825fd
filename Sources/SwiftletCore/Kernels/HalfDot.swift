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

    /// Weighted sums of vectors, out[i] = Σ_j w[j]·v_j[i], each out[i] summed over j exactly
    /// as `dot` sums over its index: lane rows `lanes[k]` ([step × width]) collect the
    /// vectors whose j falls on lane k, then the lanes are combined per element.
    public struct WeightedSum {
        let order: Order
        let width: Int
        let lanes: UnsafeMutablePointer<Float>  // [step × width]

        /// `scratch` holds step × width floats.
        public init(order: Order, width: Int, scratch: UnsafeMutablePointer<Float>) {
            self.order = order
            self.width = width
            lanes = scratch
            lanes.initialize(repeating: 0, count: order.step * width)
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
