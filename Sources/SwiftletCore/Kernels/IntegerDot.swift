/// Integer building blocks of the quantized dot products. Written as plain loops over
/// pointers with wrapping arithmetic, which LLVM turns into SIMD (pmaddwd/vpmaddwd on x86,
/// sdot-style on arm64, i32x4.dot_i16x8 with -msimd128 in WebAssembly); Swift's generic
/// SIMD-vector conversions compile to per-lane code instead.
enum IntegerDot {
    /// Σ a[i]·b[i] over `count` int8 values.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, count: Int) -> Int32 {
        var sum: Int32 = 0
        for i in 0..<count { sum &+= Int32(a[i]) &* Int32(b[i]) }
        return sum
    }

    // MARK: ggml's x86 accumulation order
    //
    // llama.cpp's AVX2 kernels do not sum a block's 32 products into one integer: they
    // keep 8 lanes of 4 consecutive products each, convert them to float, and accumulate
    // scale·lane with fused multiply-adds across blocks, then add the lanes in a fixed
    // order. Following that order gives the same float results, which keeps Swiftlet's
    // greedy output token-identical with llama.cpp's instead of drifting at near-ties.

    /// Lane k = Σ a[i]·b[i] over i in 4k ..< 4k + 4, for 32 int8 values.
    @inline(__always)
    static func lanes(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>) -> SIMD8<Float> {
        #if arch(wasm32)
        return WasmLanes.lanes(a, b)
        #elseif arch(x86_64) && SWIFTLET_AVX2
        return X86Lanes.lanes(a, b)
        #else
        var lanes = SIMD8<Float>()
        for k in 0..<8 {
            var sum: Int32 = 0
            for i in (4 * k)..<(4 * k + 4) { sum &+= Int32(a[i]) &* Int32(b[i]) }
            lanes[k] = Float(sum)
        }
        return lanes
        #endif
    }

    /// As `lanes`, for the 32 nibbles of a 16-byte block (minus `offset`), with optional
    /// fifth bits from `high`: lanes 0–3 hold the low nibbles, 4–7 the high ones.
    @inline(__always)
    static func nibbleLanes(_ packed: UnsafePointer<UInt8>, high: UInt32 = 0, _ b: UnsafePointer<Int8>, offset: Int32) -> SIMD8<Float> {
        #if arch(x86_64) && SWIFTLET_AVX2
        return X86Lanes.nibbleLanes(packed, high: high, b, offset: offset)
        #elseif arch(wasm32)
        return WasmLanes.nibbleLanes(packed, high: high, b, offset: Int16(offset))
        #else
        var lanes = SIMD8<Float>()
        for k in 0..<4 {
            var low: Int32 = 0, upper: Int32 = 0
            for i in (4 * k)..<(4 * k + 4) {
                let byte = Int32(packed[i])
                let q0 = (byte & 0x0f) | Int32((high >> UInt32(i)) & 1) << 4
                let q1 = (byte >> 4) | Int32((high >> UInt32(i + 16)) & 1) << 4
                low &+= (q0 &- offset) &* Int32(b[i])
                upper &+= (q1 &- offset) &* Int32(b[i + 16])
            }
            lanes[k] = Float(low)
            lanes[k + 4] = Float(upper)
        }
        return lanes
        #endif
    }

    /// acc + scale·lanes, fused per lane. WebAssembly has no exact FMA instruction (nor
    /// libm's fmaf): see `WasmLanes.accumulate`.
    @inline(__always)
    static func accumulate(_ acc: SIMD8<Float>, _ scale: Float, _ lanes: SIMD8<Float>) -> SIMD8<Float> {
        #if arch(wasm32)
        return WasmLanes.accumulate(acc, scale, lanes)
        #else
        return acc.addingProduct(SIMD8(repeating: scale), lanes)
        #endif
    }

    /// Σ over `blocks` blocks of a 32-value format paired with a Q8_0 or Q8_1 activation:
    /// d·da·lanes per block (both scales f16 at offset 0), plus, for formats with an offset
    /// m at offset 2 (Q4_1, Q5_1), m·s with the Q8_1 block sum s, accumulated apart as
    /// llama.cpp does.
    @inline(__always)
    static func blockDot(
        _ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int,
        weightBytes: Int, activationBytes: Int, hasOffset: Bool,
        lanes: (_ weight: UnsafeRawPointer, _ activation: UnsafeRawPointer) -> SIMD8<Float>
    ) -> Float {
        #if arch(wasm32) && !SWIFTLET_RELAXED_SIMD
        return WasmLanes.blockDot(
            weights, activation, blocks: blocks, weightBytes: weightBytes, activationBytes: activationBytes,
            hasOffset: hasOffset, lanes: lanes)
        #else
        var acc = SIMD8<Float>()
        var offsets: Float = 0
        for b in 0..<blocks {
            let w = weights + b * weightBytes, a = activation + b * activationBytes
            if hasOffset { offsets = MathFunctions.fma(w.loadHalf(at: 2), a.loadHalf(at: 2), offsets) }
            acc = accumulate(acc, w.loadHalf(at: 0) * a.loadHalf(at: 0), lanes(w, a))
        }
        return hasOffset ? horizontalSum(acc) + offsets : horizontalSum(acc)
        #endif
    }

    /// `blockDot` for 4 weight rows `rowBytes` apart against one activation row: the same
    /// sums per row, with each activation block loaded once and four independent chains of
    /// fused multiply-adds, so the latency of one hides behind the others.
    @inline(__always)
    static func blockDot4(
        _ weights: UnsafeRawPointer, rowBytes: Int, _ activation: UnsafeRawPointer, blocks: Int,
        weightBytes: Int, activationBytes: Int, hasOffset: Bool,
        lanes: (_ weight: UnsafeRawPointer, _ activation: UnsafeRawPointer) -> SIMD8<Float>
    ) -> SIMD4<Float> {
        #if arch(wasm32) && !SWIFTLET_RELAXED_SIMD
        var result = SIMD4<Float>()
        for r in 0..<4 {
            result[r] = WasmLanes.blockDot(
                weights + r * rowBytes, activation, blocks: blocks, weightBytes: weightBytes,
                activationBytes: activationBytes, hasOffset: hasOffset, lanes: lanes)
        }
        return result
        #else
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
        var offsets = SIMD4<Float>()
        for b in 0..<blocks {
            let w0 = weights + b * weightBytes, a = activation + b * activationBytes
            let (w1, w2, w3) = (w0 + rowBytes, w0 + 2 * rowBytes, w0 + 3 * rowBytes)
            // 16 rows ahead, 4 blocks per step (measured best on SmolLM2 and Gemma rows).
            let ahead = weights + 16 * rowBytes + 4 * b * weightBytes
            for line in stride(from: 0, to: 4 * weightBytes, by: 64) { prefetch(ahead + line) }
            if hasOffset {
                let m = SIMD4(w0.loadHalf(at: 2), w1.loadHalf(at: 2), w2.loadHalf(at: 2), w3.loadHalf(at: 2))
                #if arch(wasm32)
                let s = a.loadHalf(at: 2)
                for r in 0..<4 { offsets[r] = MathFunctions.fma(m[r], s, offsets[r]) }
                #else
                offsets = offsets.addingProduct(m, a.loadHalf(at: 2))
                #endif
            }
            let da = a.loadHalf(at: 0)
            acc0 = accumulate(acc0, w0.loadHalf(at: 0) * da, lanes(w0, a))
            acc1 = accumulate(acc1, w1.loadHalf(at: 0) * da, lanes(w1, a))
            acc2 = accumulate(acc2, w2.loadHalf(at: 0) * da, lanes(w2, a))
            acc3 = accumulate(acc3, w3.loadHalf(at: 0) * da, lanes(w3, a))
        }
        let sums = SIMD4(horizontalSum(acc0), horizontalSum(acc1), horizontalSum(acc2), horizontalSum(acc3))
        return hasOffset ? sums + offsets : sums
        #endif
    }

    /// The lanes' sum in ggml's x86 order (hsum_float_8): high half onto low half, then
    /// pairs, then the last two.
    @inline(__always)
    static func horizontalSum(_ v: SIMD8<Float>) -> Float {
        let (a0, a1, a2, a3) = (v[4] + v[0], v[5] + v[1], v[6] + v[2], v[7] + v[3])
        return (a0 + a2) + (a1 + a3)
    }

    /// 16 lanes summed as GCC expands _mm512_reduce_add_ps: high half onto low half twice
    /// (8, then 4 lanes), then lanes 0+2 and 1+3, then the two.
    @inline(__always)
    static func horizontalSum(_ v: SIMD16<Float>) -> Float {
        let eight = v.highHalf + v.lowHalf
        let four = eight.highHalf + eight.lowHalf
        return (four[0] + four[2]) + (four[1] + four[3])
    }

    /// The 32 values of a nibble block (with optional fifth bits), for dequantization.
    @inline(__always)
    static func unpack(_ packed: UnsafePointer<UInt8>, high: UInt32 = 0, into q: UnsafeMutablePointer<Int32>) {
        for i in 0..<16 {
            q[i] = Int32(packed[i] & 0x0f) | Int32((high >> UInt32(i)) & 1) << 4
            q[i + 16] = Int32(packed[i] >> 4) | Int32((high >> UInt32(i + 16)) & 1) << 4
        }
    }
}

extension UnsafeRawPointer {
    @inline(__always)
    func int8s(at offset: Int = 0) -> UnsafePointer<Int8> {
        (self + offset).assumingMemoryBound(to: Int8.self)
    }

    @inline(__always)
    func bytes(at offset: Int = 0) -> UnsafePointer<UInt8> {
        (self + offset).assumingMemoryBound(to: UInt8.self)
    }
}

extension Int8 {
    /// `value` rounded already, clamped to the int8 range; NaN becomes 0 so a corrupt
    /// activation cannot trap the conversion.
    @inline(__always)
    init(saturating value: Float) {
        self = value.isNaN ? 0 : Int8(Swift.max(-128, Swift.min(127, value)))
    }
}
