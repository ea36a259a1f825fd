/// The integer scales of one k-quant super-block, per sub-block of 16 values (formats with
/// sub-blocks of 32 repeat each scale twice).
struct SuperBlockScales {
    var d: Float
    var dmin: Float
    var scales: SIMD16<Int32>
    var mins: SIMD16<Int32>
}

/// A k-quant: super-blocks of 256 values whose 16-value sub-blocks carry small integer
/// scales (and minimums) under f16 super-scales:
///
///     value[i] = (d · scales[i / 16]) · q[i] − dmin · mins[i / 16]
///
/// Each format only says how to unpack its bits into 256 int8 quants and 16 scales; the
/// dequantization and the dot products with Q8_K activations are shared. Per super-block
/// the dot product is exact integers under three float scales,
///
///     Σ value·activation = da · (d · Σ_s scales[s] · Σ q·qa − dmin · Σ_s mins[s] · bsums[s])
///
/// and llama.cpp's kernels differ only in where they round it.
protocol SuperBlockFormat: WeightFormat where Activation == Q8_K {
    static func unpack(_ block: UnsafeRawPointer, into quants: UnsafeMutablePointer<Int8>) -> SuperBlockScales
}

extension SuperBlockFormat {
    public static var blockLength: Int { 256 }

    public static func dequantize(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { buffer in
            let quants = buffer.baseAddress!
            let s = unpack(block, into: quants)
            for i in 0..<256 {
                let sub = i / 16
                values[i] = (s.d * Float(s.scales[sub])) * Float(quants[i]) - s.dmin * Float(s.mins[sub])
            }
        }
    }

    public static func dot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        var sum: Float = 0
        forEachSuperBlock(weights, activation, blocks: blocks) { s, da, products, sums in
            let scaled = (s.scales &* products).wrappedSum(), minimums = (s.mins &* sums).wrappedSum()
            sum += da * s.d * Float(scaled) - da * s.dmin * Float(minimums)
        }
        return sum
    }

    /// llama.cpp's tiled k-quant matrix kernel (AVX-512 VNNI) takes batches of 8 or more.
    public static func batchKernelTokens(of count: Int) -> Int { count >= 8 ? count : 0 }

    /// As the tiled kernel rounds: per super-block d · Σ scales·Σ q·qa, less dmin · Σ mins·bsums
    /// in a fused multiply-add, then fused into the sum with da.
    public static func batchDot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        var sum: Float = 0
        forEachSuperBlock(weights, activation, blocks: blocks) { s, da, products, sums in
            let scaled = (s.scales &* products).wrappedSum(), minimums = (s.mins &* sums).wrappedSum()
            let block = MathFunctions.fma(-s.dmin, Float(minimums), Float(scaled) * s.d)
            sum = MathFunctions.fma(block, da, sum)
        }
        return sum
    }

    /// Calls `body` for each super-block with its scales, the activation's scale, and per
    /// sub-block of 16 values Σ q·qa and the activation's sum (exact integers).
    @inline(__always)
    static func forEachSuperBlock(
        _ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int,
        _ body: (_ scales: SuperBlockScales, _ da: Float, _ products: SIMD16<Int32>, _ sums: SIMD16<Int32>) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { buffer in
            let quants = UnsafeRawPointer(buffer.baseAddress!)
            for b in 0..<blocks {
                let a = activation + b * Q8_K.blockBytes
                let s = unpack(weights + b * blockBytes, into: buffer.baseAddress!)
                let aq = Q8_K.quants(a)
                var products = SIMD16<Int32>(), sums = SIMD16<Int32>()
                for sub in 0..<16 {
                    products[sub] = IntegerDot.dot(quants.int8s(at: 16 * sub), aq.int8s(at: 16 * sub), count: 16)
                    sums[sub] = Q8_K.blockSum(a, sub)
                }
                body(s, Q8_K.scale(a), products, sums)
            }
        }
    }
}

extension SIMD16<Int32> {
    /// Each of 8 values twice: per-32 scales spread over 16-value sub-blocks.
    @inline(__always)
    init(repeatingPairs values: SIMD8<Int32>) {
        self.init(
            values[0], values[0], values[1], values[1], values[2], values[2], values[3], values[3],
            values[4], values[4], values[5], values[5], values[6], values[6], values[7], values[7])
    }
}
