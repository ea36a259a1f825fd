/// The element-wise and per-row operations of a transformer, on f32 rows. Each follows the
/// arithmetic of ggml's CPU op so that results track llama.cpp's.
public enum Ops {
    /// y = x / √(mean(x²) + ε) · weight, over `count` values. The sum of squares is kept in
    /// double precision, as ggml does.
    @inline(__always)
    public static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
        count: Int, epsilon: Float
    ) {
        var sum = 0.0
        for i in 0..<count { sum += Double(x[i] * x[i]) }
        let mean = Float(sum / Double(count))
        let scale = 1 / (mean + epsilon).squareRoot()
        for i in 0..<count { y[i] = x[i] * scale * weight[i] }
    }

    /// y += x over `count` values.
    @inline(__always)
    public static func add(_ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += x[i] }
    }

    @inline(__always)
    public static func scale(_ x: UnsafeMutablePointer<Float>, by factor: Float, count: Int) {
        for i in 0..<count { x[i] *= factor }
    }

    /// Rounds each value to the nearest half-precision value (as storing to and loading
    /// from an f16 tensor does).
    @inline(__always)
    public static func roundToHalf(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = HalfPrecision.float(fromHalf: HalfPrecision.half(fromFloat: x[i])) }
    }

    /// In-place softmax of `count` values (a multiple of 16): exp(x − max) / Σ, summed as
    /// llama.cpp's AVX-512 build does: each group of 16 in f32 (in _mm512_reduce_add_ps's
    /// order), the groups in double.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count % 16 == 0)
        var maximum = -Float.infinity
        for i in 0..<count { maximum = max(maximum, x[i]) }
        var sum = 0.0
        for group in stride(from: 0, to: count, by: 16) {
            let values = UnsafeMutableRawPointer(x + group)
            let lanes = MathFunctions.exp(values.loadUnaligned(as: SIMD16<Float>.self) - maximum)
            values.storeBytes(of: lanes, as: SIMD16<Float>.self)
            sum += Double(IntegerDot.horizontalSum(lanes))
        }
        let inverse = Float(1 / sum)
        for i in 0..<count { x[i] *= inverse }
    }
}

/// Which dimensions rotary embeddings pair up: adjacent ones (Llama's "normal" RoPE) or
/// the two halves of each head (GPT-NeoX style, used by Gemma and Qwen).
public enum RopeStyle: Sendable {
    case interleaved
    case halves
}

/// Rotary position embedding for heads of `dimensions` values (all rotated).
public struct RotaryEmbedding {
    public let style: RopeStyle
    public let dimensions: Int
    /// base^(−2/dimensions): the angle of pair i is position · thetaScale^i.
    let thetaScale: Float
    let math: PlatformMath

    public init(style: RopeStyle, dimensions: Int, base: Float, math: PlatformMath = .portable) {
        self.style = style
        self.dimensions = dimensions
        self.math = math
        thetaScale = math.pow(base, -2 / Float(dimensions))
    }

    /// cos/sin of each pair's angle at `position`: `table` holds dimensions/2 (cos, sin)
    /// pairs. The angle is advanced by repeated f32 multiplication, as ggml computes it.
    public func angles(position: Int, into table: UnsafeMutablePointer<Float>) {
        var theta = Float(position)
        for pair in 0..<(dimensions / 2) {
            let (sin, cos) = math.sinCos(theta)
            table[2 * pair] = cos
            table[2 * pair + 1] = sin
            theta *= thetaScale
        }
    }

    /// Rotates `heads` consecutive heads of `x` by the angles in `table`.
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, headStride: Int, table: UnsafePointer<Float>) {
        for head in 0..<heads {
            let h = x + head * headStride
            for pair in 0..<(dimensions / 2) {
                let (i, j) = style == .interleaved ? (2 * pair, 2 * pair + 1) : (pair, pair + dimensions / 2)
                let (cos, sin) = (table[2 * pair], table[2 * pair + 1])
                let (x0, x1) = (h[i], h[j])
                // Fused as llama.cpp's x86 build compiles x0·cos − x1·sin and x0·sin + x1·cos.
                h[i] = MathFunctions.fma(x0, cos, -(x1 * sin))
                h[j] = MathFunctions.fma(x0, sin, x1 * cos)
            }
        }
    }
}
