/// Dot products of f16 values (attention over an f16 cache) summed in the orders
/// llama.cpp's x86 build with AVX-512 uses, so attention results match it to the bit: a
/// batch of tokens goes through tinyBLAS (one 16-lane accumulator), a single token through
/// ggml_vec_dot_f16 (four 16-lane accumulators over steps of 64). Products of two halves
/// are exact in f32, so only the order of the additions matters.
public enum HalfDot {
    /// Σ x(i)·y(i) for i in 0..<count, in the order of a batched matrix product.
    @inline(__always)
    public static func batched(count: Int, _ x: (Int) -> Float, _ y: (Int) -> Float) -> Float {
        var lanes = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            for lane in 0..<16 { lanes[lane] += x(i + lane) * y(i + lane) }
            i += 16
        }
        // tinyBLAS requires whole steps of 16; callers pad with zeros (which add nothing).
        precondition(i == count, "batched half dot needs a multiple of 16 values")
        return IntegerDot.horizontalSum(lanes)
    }

    /// Σ x(i)·y(i) for i in 0..<count, in the order of ggml_vec_dot_f16 for one token.
    @inline(__always)
    public static func single(count: Int, _ x: (Int) -> Float, _ y: (Int) -> Float) -> Float {
        var sums = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        var i = 0
        while i + 64 <= count {
            for lane in 0..<16 {
                sums.0[lane] += x(i + lane) * y(i + lane)
                sums.1[lane] += x(i + 16 + lane) * y(i + 16 + lane)
                sums.2[lane] += x(i + 32 + lane) * y(i + 32 + lane)
                sums.3[lane] += x(i + 48 + lane) * y(i + 48 + lane)
            }
            i += 64
        }
        var total = Double(IntegerDot.horizontalSum((sums.0 + sums.2) + (sums.1 + sums.3)))
        while i < count {
            total += Double(x(i) * y(i))
            i += 1
        }
        return Float(total)
    }
}
