// The k-quant bit layouts (ggml's block_q2_K … block_q6_K). Each unpacks one 256-value
// super-block into int8 quants and per-16 scales; SuperBlockFormat does the arithmetic,
// except where Q4_K and Q6_K follow the rounding of llama.cpp's own x86 kernels.

#if arch(x86_64) && SWIFTLET_AVX2
/// The vector lanes of Q4_K's and Q6_K's integer sums on this target.
typealias SuperBlockLanes = X86SuperBlocks
#elseif arch(wasm32)
typealias SuperBlockLanes = WasmSuperBlocks
#endif

/// Q2_K: 2-bit quants, 4-bit scales and minimums per 16 values. (llama.cpp on AVX-512
/// repacks Q2_K matrices whose rows are a multiple of 8, with kernels not followed here.)
///
///     offset  0: scales (16 bytes): low nibble scale, high nibble minimum, sub-block s
///     offset 16: qs (64 bytes): value 128h + 32j + l is bits 2j…2j+1 of qs[32h + l]
///     offset 80: d (f16), offset 82: dmin (f16)
public enum Q2_K: SuperBlockFormat {
    public typealias Activation = Q8_K
    public static let tensorType = TensorType.q2_K
    public static let blockBytes = 84

    static func unpack(_ block: UnsafeRawPointer, into quants: UnsafeMutablePointer<Int8>) -> SuperBlockScales {
        for h in 0..<2 {
            let bits = block.bytes(at: 16 + 32 * h)
            for j in 0..<4 {
                let out = quants + 128 * h + 32 * j
                for l in 0..<32 { out[l] = Int8(truncatingIfNeeded: (bits[l] >> UInt8(2 * j)) & 3) }
            }
        }
        let packed = SIMD16<Int32>(truncatingIfNeeded: block.loadUnaligned(as: SIMD16<UInt8>.self))
        return SuperBlockScales(
            d: block.loadHalf(at: 80), dmin: block.loadHalf(at: 82), scales: packed & 0xf, mins: packed &>> 4)
    }
}

/// Q3_K: 3-bit quants (2 low bits + 1 high bit, stored inverted), 6-bit scales centred on 32.
///
///     offset   0: hmask (32 bytes): value 128h + 32j + l has its high bit in bit 4h + j of
///                 hmask[l]; a clear bit means subtract 4
///     offset  32: qs (64 bytes, low 2 bits laid out as in Q2_K)
///     offset  96: scales (12 bytes): 16 6-bit values, low 4 bits in bytes 0–7, high 2 in 8–11
///     offset 108: d (f16)
public enum Q3_K: SuperBlockFormat {
    public typealias Activation = Q8_K
    public static let tensorType = TensorType.q3_K
    public static let blockBytes = 110

    static func unpack(_ block: UnsafeRawPointer, into quants: UnsafeMutablePointer<Int8>) -> SuperBlockScales {
        let highBits = block.bytes()
        for h in 0..<2 {
            let bits = block.bytes(at: 32 + 32 * h)
            for j in 0..<4 {
                let out = quants + 128 * h + 32 * j
                let mask = UInt8(1 << (4 * h + j))
                for l in 0..<32 {
                    let low = Int8(truncatingIfNeeded: (bits[l] >> UInt8(2 * j)) & 3)
                    out[l] = low &- (highBits[l] & mask == 0 ? 4 : 0)
                }
            }
        }
        // Unscramble the 12 scale bytes as ggml does, four 32-bit words at a time.
        let a0 = block.loadUnaligned(fromByteOffset: 96, as: UInt32.self)
        let a1 = block.loadUnaligned(fromByteOffset: 100, as: UInt32.self)
        let a2 = block.loadUnaligned(fromByteOffset: 104, as: UInt32.self)
        let low: UInt32 = 0x0f0f_0f0f, high: UInt32 = 0x0303_0303
        let words = SIMD4<UInt32>(
            (a0 & low) | (((a2 >> 0) & high) << 4),
            (a1 & low) | (((a2 >> 2) & high) << 4),
            ((a0 >> 4) & low) | (((a2 >> 4) & high) << 4),
            ((a1 >> 4) & low) | (((a2 >> 6) & high) << 4))
        let scaleBytes = unsafeBitCast(words, to: SIMD16<UInt8>.self)
        return SuperBlockScales(
            d: block.loadHalf(at: 108), dmin: 0,
            scales: SIMD16<Int32>(truncatingIfNeeded: scaleBytes) &- 32, mins: SIMD16())
    }
}

/// The 8 6-bit scales and 8 6-bit minimums Q4_K and Q5_K pack into 12 bytes (ggml's
/// get_scale_min_k4): entries 0–3 in the low 6 bits of bytes 0–3 (scales) and 4–7 (mins);
/// entries 4–7 take their low 4 bits from bytes 8–11 and their high 2 from the top bits
/// of bytes 0–7. Rearranged as four 32-bit words, as ggml's kernels do.
@inline(__always)
func unpackScalesAndMins(_ bytes: UnsafeRawPointer) -> (scales: SIMD8<Int32>, mins: SIMD8<Int32>) {
    let w0 = bytes.loadUnaligned(as: UInt32.self)
    let w1 = bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
    let w2 = bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
    let six: UInt32 = 0x3f3f_3f3f, four: UInt32 = 0x0f0f_0f0f, two: UInt32 = 0x0303_0303
    // Each pair of words holds 8 entries, a byte each, widened by constant shifts (a generic
    // widening of the bytes is not inlined natively, and costs a call per row).
    func widened(_ low: UInt32, _ high: UInt32) -> SIMD8<Int32> {
        func spread(_ w: UInt32) -> SIMD4<Int32> {
            SIMD4(Int32(w & 0xff), Int32(w >> 8 & 0xff), Int32(w >> 16 & 0xff), Int32(w >> 24))
        }
        return SIMD8(lowHalf: spread(low), highHalf: spread(high))
    }
    return (widened(w0 & six, (w2 & four) | (((w0 >> 6) & two) << 4)),
            widened(w1 & six, ((w2 >> 4) & four) | (((w1 >> 6) & two) << 4)))
}

/// Q4_K: 4-bit quants in sub-blocks of 32, 6-bit scales and minimums.
///
///     offset  0: d (f16), offset 2: dmin (f16)
///     offset  4: scales and mins (12 bytes, see unpackScalesAndMins)
///     offset 16: qs (128 bytes): value 64j + l is the low nibble of qs[32j + l],
///                value 64j + 32 + l its high nibble
public enum Q4_K: SuperBlockFormat {
    public typealias Activation = Q8_K
    public static let tensorType = TensorType.q4_K
    public static let blockBytes = 144

    static func unpack(_ block: UnsafeRawPointer, into quants: UnsafeMutablePointer<Int8>) -> SuperBlockScales {
        for j in 0..<4 {
            let bits = block.bytes(at: 16 + 32 * j)
            for l in 0..<32 {
                quants[64 * j + l] = Int8(truncatingIfNeeded: bits[l] & 0xf)
                quants[64 * j + 32 + l] = Int8(truncatingIfNeeded: bits[l] >> 4)
            }
        }
        let (scales, mins) = unpackScalesAndMins(block + 4)
        return SuperBlockScales(
            d: block.loadHalf(at: 0), dmin: block.loadHalf(at: 2),
            scales: SIMD16(repeatingPairs: scales), mins: SIMD16(repeatingPairs: mins))
    }

    // llama.cpp on x86 repacks Q4_K matrices (q4_K_8x8) and multiplies them with kernels
    // that fuse the integer sums into two accumulators, one with d·da and one with
    // dmin·da, subtracted at the end.

    /// As ggml_gemv_q4_K_8x8_q8_K (one token, and the tokens left over from groups of 4):
    /// fused once per super-block.
    public static func dot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        var sum: Float = 0, minimums: Float = 0
        forEachBlock(weights, activation, blocks: blocks) { d, dmin, da, scaled, mins in
            sum = MathFunctions.fma(Float(scaled.wrappedSum()), d * da, sum)
            minimums = MathFunctions.fma(Float(mins.wrappedSum()), dmin * da, minimums)
        }
        return sum - minimums
    }

    /// ggml_gemm_q4_K_8x8_q8_K takes the tokens of a batch in groups of 4.
    public static func batchKernelTokens(of count: Int) -> Int { count - count % 4 }

    /// As ggml_gemm_q4_K_8x8_q8_K: fused once per 64 values (two sub-blocks of 32).
    public static func batchDot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        var sum: Float = 0, minimums: Float = 0
        forEachBlock(weights, activation, blocks: blocks) { d, dmin, da, scaled, mins in
            for quarter in 0..<4 {
                sum = MathFunctions.fma(Float(scaled[quarter]), d * da, sum)
                minimums = MathFunctions.fma(Float(mins[quarter]), dmin * da, minimums)
            }
        }
        return sum - minimums
    }

    /// Calls `body` for each super-block with d, dmin, the activation's scale, and per 64
    /// values Σ scales·q·qa and Σ mins·bsums (exact integers).
    @inline(__always)
    private static func forEachBlock(
        _ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int,
        _ body: (_ d: Float, _ dmin: Float, _ da: Float, _ scaled: SIMD4<Int32>, _ mins: SIMD4<Int32>) -> Void
    ) {
        #if (arch(x86_64) && SWIFTLET_AVX2) || arch(wasm32)
        for b in 0..<blocks {
            let w = weights + b * blockBytes, a = activation + b * Q8_K.blockBytes
            let (scales, mins) = unpackScalesAndMins(w + 4)
            let scaled = SuperBlockLanes.q4KScaledSums(w + 16, Q8_K.quants(a), scales: scales)
            let minimums = SuperBlockLanes.q4KMinimums(a, mins: mins)
            body(w.loadHalf(at: 0), w.loadHalf(at: 2), Q8_K.scale(a), scaled, minimums)
        }
        #else
        forEachSuperBlock(weights, activation, blocks: blocks) { s, da, products, sums in
            let scaled = s.scales &* products, mins = s.mins &* sums
            var scaledParts = SIMD4<Int32>(), minParts = SIMD4<Int32>()
            for quarter in 0..<4 {
                let part = 4 * quarter
                scaledParts[quarter] = scaled[part] &+ scaled[part + 1] &+ scaled[part + 2] &+ scaled[part + 3]
                minParts[quarter] = mins[part] &+ mins[part + 1] &+ mins[part + 2] &+ mins[part + 3]
            }
            body(s.d, s.dmin, da, scaledParts, minParts)
        }
        #endif
    }

    public static func quantizeBatchActivation(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        Q8_K.quantize(values, into: block, positiveWinsTies: true)
    }
}

/// Q5_K: Q4_K plus a fifth bit per value.
///
///     offset  0: d (f16), offset 2: dmin (f16)
///     offset  4: scales and mins (12 bytes, as Q4_K)
///     offset 16: qh (32 bytes): value 64j + l has its fifth bit in bit 2j of qh[l],
///                value 64j + 32 + l in bit 2j + 1
///     offset 48: qs (128 bytes, low 4 bits as Q4_K)
public enum Q5_K: SuperBlockFormat {
    public typealias Activation = Q8_K
    public static let tensorType = TensorType.q5_K
    public static let blockBytes = 176

    static func unpack(_ block: UnsafeRawPointer, into quants: UnsafeMutablePointer<Int8>) -> SuperBlockScales {
        let highBits = block.bytes(at: 16)
        for j in 0..<4 {
            let bits = block.bytes(at: 48 + 32 * j)
            for l in 0..<32 {
                let fifthLow = ((highBits[l] >> UInt8(2 * j)) & 1) << 4
                let fifthHigh = ((highBits[l] >> UInt8(2 * j + 1)) & 1) << 4
                quants[64 * j + l] = Int8(truncatingIfNeeded: (bits[l] & 0xf) | fifthLow)
                quants[64 * j + 32 + l] = Int8(truncatingIfNeeded: (bits[l] >> 4) | fifthHigh)
            }
        }
        let (scales, mins) = unpackScalesAndMins(block + 4)
        return SuperBlockScales(
            d: block.loadHalf(at: 0), dmin: block.loadHalf(at: 2),
            scales: SIMD16(repeatingPairs: scales), mins: SIMD16(repeatingPairs: mins))
    }
}

/// Q6_K: 6-bit quants centred on 32, int8 scales per 16 values.
///
///     offset   0: ql (128 bytes): low 4 bits; in half h, value 128h + l uses the low nibble
///                 of ql[64h + l], +32 the low nibble of ql[64h + 32 + l], +64 and +96 the
///                 high nibbles of the same bytes
///     offset 128: qh (64 bytes): the top 2 bits of those four values are bits 0–1, 2–3,
///                 4–5, 6–7 of qh[32h + l]
///     offset 192: scales (16 × int8)
///     offset 208: d (f16)
public enum Q6_K: SuperBlockFormat {
    public typealias Activation = Q8_K
    public static let tensorType = TensorType.q6_K
    public static let blockBytes = 210

    static func unpack(_ block: UnsafeRawPointer, into quants: UnsafeMutablePointer<Int8>) -> SuperBlockScales {
        for h in 0..<2 {
            let low = block.bytes(at: 64 * h)
            let high = block.bytes(at: 128 + 32 * h)
            let out = quants + 128 * h
            for l in 0..<32 {
                let top = high[l]
                out[l] = Int8(truncatingIfNeeded: (low[l] & 0xf) | (top & 3) << 4) &- 32
                out[l + 32] = Int8(truncatingIfNeeded: (low[l + 32] & 0xf) | ((top >> 2) & 3) << 4) &- 32
                out[l + 64] = Int8(truncatingIfNeeded: (low[l] >> 4) | ((top >> 4) & 3) << 4) &- 32
                out[l + 96] = Int8(truncatingIfNeeded: (low[l + 32] >> 4) | ((top >> 6) & 3) << 4) &- 32
            }
        }
        let scales = block.loadUnaligned(fromByteOffset: 192, as: SIMD16<Int8>.self)
        return SuperBlockScales(
            d: block.loadHalf(at: 208), dmin: 0, scales: SIMD16<Int32>(truncatingIfNeeded: scales), mins: SIMD16())
    }

    /// As llama.cpp's x86 ggml_vec_dot_q6_K_q8_K (AVX2): 8 integer lanes per super-block,
    /// lane k holding scale·q·qa of the values whose position mod 32 is in 4k ..< 4k + 4
    /// (q unsigned, 0–63) less 32·scale·bsum of sub-blocks 2k and 2k + 1; each lane fused
    /// with d·da into its own accumulator, the 8 summed at the end.
    public static func dot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        var acc = SIMD8<Float>()
        for b in 0..<blocks {
            let w = weights + b * blockBytes, a = activation + b * Q8_K.blockBytes
            acc = IntegerDot.accumulate(acc, Q8_K.scale(a) * w.loadHalf(at: 208), lanes(w, a))
        }
        return IntegerDot.horizontalSum(acc)
    }

    #if (arch(x86_64) && SWIFTLET_AVX2) || arch(wasm32)
    /// The tiled kernel's rounding (SuperBlockFormat.batchDot) over the same integers.
    public static func batchDot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        var sum: Float = 0
        for b in 0..<blocks {
            let w = weights + b * blockBytes, a = activation + b * Q8_K.blockBytes
            let scaled = SuperBlockLanes.q6KLanes(w, a).wrappedSum()
            sum = MathFunctions.fma(Float(scaled) * w.loadHalf(at: 208), Q8_K.scale(a), sum)
        }
        return sum
    }
    #endif

    @inline(__always)
    private static func lanes(_ block: UnsafeRawPointer, _ activation: UnsafeRawPointer) -> SIMD8<Float> {
        #if (arch(x86_64) && SWIFTLET_AVX2) || arch(wasm32)
        return SuperBlockLanes.float(SuperBlockLanes.q6KLanes(block, activation))
        #else
        return withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { buffer in
            let quants = buffer.baseAddress!
            let s = unpack(block, into: quants)
            let aq = Q8_K.quants(activation).int8s()
            var lanes = SIMD8<Int32>()
            for sub in 0..<16 {
                for group in 0..<4 {
                    var products: Int32 = 0
                    for i in (16 * sub + 4 * group)..<(16 * sub + 4 * group + 4) {
                        products &+= (Int32(quants[i]) &+ 32) &* Int32(aq[i])
                    }
                    lanes[4 * (sub % 2) + group] &+= s.scales[sub] &* products
                }
            }
            for k in 0..<8 {
                lanes[k] &-= 32 &* (s.scales[2 * k] &* Q8_K.blockSum(activation, 2 * k) &+ s.scales[2 * k + 1] &* Q8_K.blockSum(activation, 2 * k + 1))
            }
            return SIMD8<Float>(lanes)
        }
        #endif
    }
}
