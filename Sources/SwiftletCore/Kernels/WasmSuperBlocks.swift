#if arch(wasm32)
import Builtin

/// The integer sums of the k-quant dot products in WebAssembly SIMD, the same exact
/// integers as X86SuperBlocks and the portable loops of KQuants.swift (so only the float
/// steps after them decide the results, and those are shared).
///
/// Relaxed SIMD multiplies 16 unsigned quants (below 128, where the instruction is exact
/// on every engine) by 16 activation bytes and sums them four at a time in one
/// `i32x4.relaxed_dot_i8x16_i7x16_add_s`. Plain SIMD128 keeps the bytes paired in 16-bit
/// lanes and sums with `i32x4.dot_i16x8_s`, as WasmLanes does.
enum WasmSuperBlocks {
    /// Q4_K: for each 64 values c, scales[2c]·Σ low nibbles·a + scales[2c+1]·Σ high nibbles·a
    /// (`qs`: the block's 128 quant bytes, `a`: the 256 activation bytes).
    @inline(__always)
    static func q4KScaledSums(_ qs: UnsafeRawPointer, _ a: UnsafeRawPointer, scales: SIMD8<Int32>) -> SIMD4<Int32> {
        var result = SIMD4<Int32>()
        for c in 0..<4 {
            var low = SIMD4<Int32>(), high = SIMD4<Int32>()
            for half in 0..<2 {
                let bytes = qs + 32 * c + 16 * half, lowA = a + 64 * c + 16 * half
                low = low &+ nibbleProducts(bytes, lowA, high: false)
                high = high &+ nibbleProducts(bytes, lowA + 32, high: true)
            }
            result[c] = (low &* scales[2 * c] &+ high &* scales[2 * c + 1]).wrappedSum()
        }
        return result
    }

    /// Q4_K: for each 64 values c, mins[2c]·(bsums[4c] + bsums[4c+1]) +
    /// mins[2c+1]·(bsums[4c+2] + bsums[4c+3]), from a Q8_K block's 16 sums.
    @inline(__always)
    static func q4KMinimums(_ activation: UnsafeRawPointer, mins: SIMD8<Int32>) -> SIMD4<Int32> {
        let ones = SIMD8<Int16>(repeating: 1)
        let perThirtyTwo = SIMD8(
            lowHalf: WasmLanes.dot(activation.loadUnaligned(fromByteOffset: 260, as: SIMD8<Int16>.self), ones),
            highHalf: WasmLanes.dot(activation.loadUnaligned(fromByteOffset: 276, as: SIMD8<Int16>.self), ones))
        let weighted = mins &* perThirtyTwo
        return weighted.evenHalf &+ weighted.oddHalf
    }

    /// Q6_K's 8 lanes as ggml_vec_dot_q6_K_q8_K (AVX2) forms them: lane k holds
    /// scale·q·qa of the values whose position mod 32 is in 4k ..< 4k + 4 (q unsigned,
    /// 0–63), less 32·(scales[2k]·bsums[2k] + scales[2k+1]·bsums[2k+1]).
    @inline(__always)
    static func q6KLanes(_ block: UnsafeRawPointer, _ activation: UnsafeRawPointer) -> SIMD8<Int32> {
        let aq = Q8_K.quants(activation)
        var first = SIMD4<Int32>(), second = SIMD4<Int32>()  // lanes 0–3 and 4–7
        @inline(__always)
        func run(_ h: Int, _ quarter: Int) {
            let m = 4 * h + quarter
            for half in 0..<2 {
                let low = block + 64 * h + 32 * (quarter % 2) + 16 * half, top = block + 128 + 32 * h + 16 * half
                let products = q6KProducts(low, top, quarter: quarter, aq + 32 * m + 16 * half)
                let scale = Int32(block.load(fromByteOffset: 192 + 2 * m + half, as: Int8.self))
                if half == 0 { first = first &+ products &* scale } else { second = second &+ products &* scale }
            }
        }
        // The quarters spelled out, so that every shift count is a constant: SIMD128 shifts
        // all lanes by one count, and LLVM shifts lane by lane what it cannot prove uniform.
        for h in 0..<2 {
            run(h, 0)
            run(h, 1)
            run(h, 2)
            run(h, 3)
        }
        // 32·scale·bsum per sub-block, the even sub-blocks' in lanes 0–3, the odd ones' in 4–7.
        let scales = SIMD16<Int32>(truncatingIfNeeded: block.loadUnaligned(fromByteOffset: 192, as: SIMD16<Int8>.self))
        let sums = SIMD16<Int32>(truncatingIfNeeded: activation.loadUnaligned(fromByteOffset: 260, as: SIMD16<Int16>.self))
        let offsets = scales &* sums
        let lanes = SIMD8(lowHalf: first, highHalf: second)
        return lanes &- (offsets.evenHalf &+ offsets.oddHalf) &<< 5
    }

    /// Exact below 2^24, rounded to nearest above (`f32x4.convert_i32x4_s`, as x86's
    /// vcvtdq2ps); Swift's generic conversion is a call per lane in Embedded Swift.
    @inline(__always)
    static func float(_ lanes: SIMD8<Int32>) -> SIMD8<Float> {
        SIMD8(lowHalf: float(lanes.lowHalf), highHalf: float(lanes.highHalf))
    }

    @inline(__always)
    private static func float(_ x: SIMD4<Int32>) -> SIMD4<Float> {
        unsafeBitCast(Builtin.sitofp_Vec4xInt32_Vec4xFPIEEE32(x._storage._value), to: SIMD4<Float>.self)
    }

    // MARK: 16 values at a time

    /// Lane k = Σ q[i]·a[i] over i in 4k ..< 4k + 4, q the low (or high) nibbles of 16 bytes.
    @inline(__always)
    private static func nibbleProducts(_ bytes: UnsafeRawPointer, _ a: UnsafeRawPointer, high: Bool) -> SIMD4<Int32> {
        #if SWIFTLET_RELAXED_SIMD
        let packed = bytes.loadUnaligned(as: SIMD16<UInt8>.self)
        return WasmLanes.relaxedDot(a.loadUnaligned(as: SIMD16<Int8>.self), high ? packed &>> 4 : packed & 0x0f)
        #else
        let pairs = bytes.loadUnaligned(as: SIMD8<Int16>.self)
        let shift: Int16 = high ? 4 : 0
        return pairProducts((pairs &>> shift) & 0x0f, (pairs &>> (shift + 8)) & 0x0f, a)
        #endif
    }

    /// `nibbleProducts` for Q6_K's 6-bit values: nibbles of 16 bytes at `low` (low ones for
    /// quarters 0 and 1, high ones for 2 and 3), bits 2·quarter and 2·quarter + 1 of the 16
    /// bytes at `top` above them.
    @inline(__always)
    private static func q6KProducts(_ low: UnsafeRawPointer, _ top: UnsafeRawPointer, quarter: Int, _ a: UnsafeRawPointer) -> SIMD4<Int32> {
        #if SWIFTLET_RELAXED_SIMD
        let nibbles = low.loadUnaligned(as: SIMD16<UInt8>.self), bits = top.loadUnaligned(as: SIMD16<UInt8>.self)
        let values = (quarter < 2 ? nibbles & 0x0f : nibbles &>> 4) | q6KTopBits(bits, quarter: quarter)
        return WasmLanes.relaxedDot(a.loadUnaligned(as: SIMD16<Int8>.self), values)
        #else
        let nibbles = low.loadUnaligned(as: SIMD8<UInt16>.self), bits = top.loadUnaligned(as: SIMD8<UInt16>.self)
        let shift: UInt16 = quarter < 2 ? 0 : 4
        let even = (nibbles &>> shift) & 0x0f | q6KTopBits(bits, quarter: quarter)
        let odd = (nibbles &>> (shift + 8)) & 0x0f | q6KTopBits(bits &>> 8, quarter: quarter)
        return pairProducts(unsafeBitCast(even, to: SIMD8<Int16>.self), unsafeBitCast(odd, to: SIMD8<Int16>.self), a)
        #endif
    }

    #if SWIFTLET_RELAXED_SIMD
    /// Bits 2·quarter and 2·quarter + 1 of each byte, as bits 4 and 5.
    @inline(__always)
    private static func q6KTopBits(_ bits: SIMD16<UInt8>, quarter: Int) -> SIMD16<UInt8> {
        switch quarter {
        case 0: (bits &<< 4) & 0x30
        case 1: (bits &<< 2) & 0x30
        case 2: bits & 0x30
        default: (bits &>> 2) & 0x30
        }
    }
    #else
    /// Bits 2·quarter and 2·quarter + 1 of each lane's low byte, as bits 4 and 5.
    @inline(__always)
    private static func q6KTopBits(_ bits: SIMD8<UInt16>, quarter: Int) -> SIMD8<UInt16> {
        switch quarter {
        case 0: (bits &<< 4) & 0x30
        case 1: (bits &<< 2) & 0x30
        case 2: bits & 0x30
        default: (bits &>> 2) & 0x30
        }
    }
    #endif

    #if !SWIFTLET_RELAXED_SIMD
    /// Lane k = Σ q[i]·a[i] over i in 4k ..< 4k + 4, for q given as its even and odd bytes
    /// in 16-bit lanes and 16 activation bytes at `a`.
    @inline(__always)
    private static func pairProducts(_ even: SIMD8<Int16>, _ odd: SIMD8<Int16>, _ a: UnsafeRawPointer) -> SIMD4<Int32> {
        let pairs = a.loadUnaligned(as: SIMD8<Int16>.self)
        return WasmLanes.dot(even, (pairs &<< 8) &>> 8) &+ WasmLanes.dot(odd, pairs &>> 8)
    }
    #endif
}
#endif
