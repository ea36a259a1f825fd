/// Dot products of f16 values (attention over an f16 cache) summed in the orders
/// llama.cpp's x86 code uses, so attention results match it to the bit: a batch of
/// tokens goes through tinyBLAS (one 8-lane accumulator), a single token through
/// ggml_vec_dot_f16 (four 8-lane accumulators over steps of 32). Products of two halves
/// are exact in f32, so only the order of the additions matters.
public enum HalfDot {
    /// Σ x(i)·y(i) for i in 0..<count, in the order of a batched matrix product.
    @inline(__always)
    public static func batched(count: Int, _ x: (Int) -> Float, _ y: (Int) -> Float) -> Float {
        var lanes = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            for lane in 0..<8 { lanes[lane] += x(i + lane) * y(i + lane) }
            i += 8
        }
        // tinyBLAS requires whole steps of 8; callers pad with zeros (which add nothing).
        precondition(i == count, "batched half dot needs a multiple of 8 values")
        return IntegerDot.horizontalSum(lanes)
    }

    /// Σ x(i)·y(i) for i in 0..<count, in the order of ggml_vec_dot_f16 for one token.
    @inline(__always)
    public static func single(count: Int, _ x: (Int) -> Float, _ y: (Int) -> Float) -> Float {
        var sums = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        var i = 0
        while i + 32 <= count {
            for lane in 0..<8 {
                sums.0[lane] += x(i + lane) * y(i + lane)
                sums.1[lane] += x(i + 8 + lane) * y(i + 8 + lane)
                sums.2[lane] += x(i + 16 + lane) * y(i + 16 + lane)
                sums.3[lane] += x(i + 24 + lane) * y(i + 24 + lane)
            }
            i += 32
        }
        let v = (sums.0 + sums.2) + (sums.1 + sums.3)
        let (t0, t1, t2, t3) = (v[0] + v[4], v[1] + v[5], v[2] + v[6], v[3] + v[7])
        var total = Double((t0 + t1) + (t2 + t3))
        while i < count {
            total += Double(x(i) * y(i))
            i += 1
        }
        return Float(total)
    }
}
