#if arch(wasm32)
import Builtin

/// The quantized block dot products in WebAssembly SIMD128, about 4× the portable loops
/// there, with the same results as the native FMA code.
///
/// Lanes: Embedded Swift leaves the lane conversions the loops need (Int8 → Int32,
/// Int32 → Float) as per-lane calls. Here bytes stay paired in 16-bit lanes, split by
/// shifts, and summed four at a time with `i32x4.dot_i16x8_s`; integer sums become floats
/// by exponent arithmetic. The relaxed-SIMD build multiplies 16 bytes at once with
/// `i32x4.relaxed_dot_i8x16_i7x16_add_s` (one operand kept below 128, where every engine
/// computes it exactly). The sums are exact, so the lanes equal the loops'.
///
/// Accumulation: native code adds scale·lanes to the accumulator with one rounding (FMA),
/// which SIMD128 lacks. The relaxed-SIMD build (SWIFTLET_RELAXED_SIMD) uses
/// `f32x4.relaxed_madd`, which engines fuse where the hardware has FMA (and may not
/// elsewhere). The SIMD128 build takes the product and sum in double (the product is
/// exact: 24 × 13 bits) and rounds to float precision while staying in double (Veltkamp's
/// split), so no lane ever leaves the vector registers. That matches FMA except when the
/// double sum falls exactly halfway between two floats (about 1 in 2^29), which keeps the
/// web build's greedy tokens identical to the native build's.
enum WasmLanes {
    /// Lane k = Σ a[i]·b[i] over i in 4k ..< 4k + 4, for 32 int8 values.
    @inline(__always)
    static func lanes(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>) -> SIMD8<Float> {
        #if SWIFTLET_RELAXED_SIMD
        SIMD8(lowHalf: float(signedQuadSums(a, b)), highHalf: float(signedQuadSums(a + 16, b + 16)))
        #else
        SIMD8(lowHalf: float(quadSums(load(a), load(b))), highHalf: float(quadSums(load(a + 16), load(b + 16))))
        #endif
    }

    /// Lanes 0–3: the low nibbles (with fifth bits from bits 0–15 of `high`, minus
    /// `offset`) times b[0..<16]; lanes 4–7: the high nibbles (fifth bits 16–31) times
    /// b[16..<32].
    @inline(__always)
    static func nibbleLanes(_ packed: UnsafePointer<UInt8>, high: UInt32, _ b: UnsafePointer<Int8>, offset: Int16) -> SIMD8<Float> {
        #if SWIFTLET_RELAXED_SIMD
        // Σ (q − offset)·b = Σ q·b − offset·Σ b, with q unsigned (below 32) as relaxedDot needs.
        let bytes = UnsafeRawPointer(packed).loadUnaligned(as: SIMD16<UInt8>.self)
        let (b0, b1) = (UnsafeRawPointer(b).loadUnaligned(as: SIMD16<Int8>.self), UnsafeRawPointer(b + 16).loadUnaligned(as: SIMD16<Int8>.self))
        var low = relaxedDot(b0, (bytes & 0x0f) | fifthBytes(UInt16(truncatingIfNeeded: high)))
        var upper = relaxedDot(b1, (bytes &>> 4) | fifthBytes(UInt16(truncatingIfNeeded: high >> 16)))
        if offset != 0 {
            let ones = SIMD16<UInt8>(repeating: 1), scale = Int32(offset)
            low = low &- relaxedDot(b0, ones) &* scale
            upper = upper &- relaxedDot(b1, ones) &* scale
        }
        return SIMD8(lowHalf: float(low), highHalf: float(upper))
        #else
        let nibbles = UnsafeRawPointer(packed).loadUnaligned(as: SIMD8<Int16>.self)  // (8,) byte pairs
        let lowBits = SIMD8<UInt16>(repeating: UInt16(truncatingIfNeeded: high))
        let highBits = SIMD8<UInt16>(repeating: UInt16(truncatingIfNeeded: high >> 16))
        let evenMasks = SIMD8<UInt16>(0x0001, 0x0004, 0x0010, 0x0040, 0x0100, 0x0400, 0x1000, 0x4000)
        let oddMasks = evenMasks &<< 1
        let (b0, b1) = (load(b), load(b + 16))
        let low = dot(((nibbles & 0x0f) | fifth(lowBits, evenMasks)) &- offset, even(b0))
            &+ dot((((nibbles &>> 8) & 0x0f) | fifth(lowBits, oddMasks)) &- offset, odd(b0))
        let upper = dot((((nibbles &>> 4) & 0x0f) | fifth(highBits, evenMasks)) &- offset, even(b1))
            &+ dot((((nibbles &>> 12) & 0x0f) | fifth(highBits, oddMasks)) &- offset, odd(b1))
        return SIMD8(lowHalf: float(low), highHalf: float(upper))
        #endif
    }

    /// acc + scale·lanes with one rounding per lane: relaxed SIMD's multiply-add where the
    /// build has it (fused by engines on hardware with FMA, as native code is), else the
    /// scalar `MathFunctions.fma`.
    @inline(__always)
    static func accumulate(_ acc: SIMD8<Float>, _ scale: Float, _ lanes: SIMD8<Float>) -> SIMD8<Float> {
        #if SWIFTLET_RELAXED_SIMD
        let s = SIMD4<Float>(repeating: scale)
        return SIMD8(lowHalf: relaxedMultiplyAdd(s, lanes.lowHalf, acc.lowHalf), highHalf: relaxedMultiplyAdd(s, lanes.highHalf, acc.highHalf))
        #else
        var result = acc
        for k in 0..<8 { result[k] = MathFunctions.fma(scale, lanes[k], acc[k]) }
        return result
        #endif
    }

    #if SWIFTLET_RELAXED_SIMD
    /// a·b + c (`f32x4.relaxed_madd`).
    @inline(__always)
    private static func relaxedMultiplyAdd(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>) -> SIMD4<Float> {
        unsafeBitCast(Builtin.int_wasm_relaxed_madd_Vec4xFPIEEE32(a._storage._value, b._storage._value, c._storage._value), to: SIMD4<Float>.self)
    }
    #endif

    #if !SWIFTLET_RELAXED_SIMD
    /// `IntegerDot.blockDot` without relaxed SIMD, accumulating in double as described
    /// above with no lane leaving the vector registers.
    @inline(__always)
    static func blockDot(
        _ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int,
        weightBytes: Int, activationBytes: Int, hasOffset: Bool,
        lanes: (_ weight: UnsafeRawPointer, _ activation: UnsafeRawPointer) -> SIMD8<Float>
    ) -> Float {
        // The 8 float accumulators of the native code, as 4 pairs of doubles.
        var acc0 = SIMD2<Double>(), acc1 = SIMD2<Double>(), acc2 = SIMD2<Double>(), acc3 = SIMD2<Double>()
        var offsets: Float = 0
        for b in 0..<blocks {
            let w = weights + b * weightBytes, a = activation + b * activationBytes
            if hasOffset { offsets = MathFunctions.fma(w.loadHalf(at: 2), a.loadHalf(at: 2), offsets) }
            let scale = SIMD2(repeating: Double(w.loadHalf(at: 0) * a.loadHalf(at: 0)))
            let l = lanes(w, a)
            acc0 = roundedToFloat(scale * double(l.lowHalf.lowHalf) + acc0)
            acc1 = roundedToFloat(scale * double(l.lowHalf.highHalf) + acc1)
            acc2 = roundedToFloat(scale * double(l.highHalf.lowHalf) + acc2)
            acc3 = roundedToFloat(scale * double(l.highHalf.highHalf) + acc3)
        }
        let acc = SIMD8<Float>(
            Float(acc0[0]), Float(acc0[1]), Float(acc1[0]), Float(acc1[1]),
            Float(acc2[0]), Float(acc2[1]), Float(acc3[0]), Float(acc3[1]))
        return hasOffset ? IntegerDot.horizontalSum(acc) + offsets : IntegerDot.horizontalSum(acc)
    }
    #endif

    // MARK: Building blocks

    #if SWIFTLET_RELAXED_SIMD
    /// Lane k = Σ a[i]·q[i] over i in 4k ..< 4k + 4 (`i32x4.relaxed_dot_i8x16_i7x16_add_s`),
    /// exact on every engine for q below 128.
    @inline(__always)
    static func relaxedDot(_ a: SIMD16<Int8>, _ q: SIMD16<UInt8>) -> SIMD4<Int32> {
        let values = unsafeBitCast(q, to: SIMD16<Int8>.self)
        return unsafeBitCast(
            Builtin.int_wasm_relaxed_dot_i8x16_i7x16_add_signed(a._storage._value, values._storage._value, SIMD4<Int32>()._storage._value),
            to: SIMD4<Int32>.self)
    }

    /// `relaxedDot` of two signed operands as x86 forms it: |a| times b with a's sign.
    /// Exact unless a holds −128 (its magnitude does not fit 7 bits), which ggml's
    /// quantizers never write.
    @inline(__always)
    private static func signedQuadSums(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>) -> SIMD4<Int32> {
        let x = UnsafeRawPointer(a).loadUnaligned(as: SIMD16<Int8>.self), y = UnsafeRawPointer(b).loadUnaligned(as: SIMD16<Int8>.self)
        let sign = x &>> 7  // −1 where x < 0
        return relaxedDot((y ^ sign) &- sign, unsafeBitCast((x ^ sign) &- sign, to: SIMD16<UInt8>.self))
    }

    /// 16 bytes, byte i holding 16 if bit i of `bits` is set, else 0.
    @inline(__always)
    private static func fifthBytes(_ bits: UInt16) -> SIMD16<UInt8> {
        // Bytes 0–7 a copy of the low byte, 8–15 of the high one (`i8x16.swizzle`).
        let halves = unsafeBitCast(SIMD8<UInt16>(repeating: bits), to: SIMD16<UInt8>.self)
        let picks = SIMD16<UInt8>(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)
        let spread = unsafeBitCast(Builtin.int_wasm_swizzle(halves._storage._value, picks._storage._value), to: SIMD16<UInt8>.self)
        let masks = SIMD16<UInt8>(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128)
        let set = Builtin.cmp_ne_Vec16xInt8((spread & masks)._storage._value, SIMD16<UInt8>()._storage._value)
        return unsafeBitCast(Builtin.sext_Vec16xInt1_Vec16xInt8(set), to: SIMD16<UInt8>.self) & 16
    }
    #else
    /// The fifth bits of the 8 even (or odd) bytes of 16 as 0 or 16: byte i takes bit i of
    /// `bits`, picked by `masks` and compared lane by lane (a multiplication or a shift by
    /// powers of two would become a shift per lane, which SIMD128 lacks).
    @inline(__always)
    private static func fifth(_ bits: SIMD8<UInt16>, _ masks: SIMD8<UInt16>) -> SIMD8<Int16> {
        let set = Builtin.cmp_ne_Vec8xInt16((bits & masks)._storage._value, SIMD8<UInt16>()._storage._value)
        return unsafeBitCast(Builtin.sext_Vec8xInt1_Vec8xInt16(set), to: SIMD8<Int16>.self) & 16
    }
    #endif

    /// 16 int8 values as 8 little-endian byte pairs.
    @inline(__always)
    private static func load(_ p: UnsafePointer<Int8>) -> SIMD8<Int16> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Int16>.self)
    }

    /// Σ of 4 consecutive int8 products per lane, for 16 bytes of each operand.
    @inline(__always)
    private static func quadSums(_ a: SIMD8<Int16>, _ b: SIMD8<Int16>) -> SIMD4<Int32> {
        dot(even(a), even(b)) &+ dot(odd(a), odd(b))
    }

    /// The even (first) and odd (second) byte of each pair, sign-extended.
    @inline(__always)
    private static func even(_ pairs: SIMD8<Int16>) -> SIMD8<Int16> { (pairs &<< 8) &>> 8 }
    @inline(__always)
    private static func odd(_ pairs: SIMD8<Int16>) -> SIMD8<Int16> { pairs &>> 8 }

    /// Lane k = a[2k]·b[2k] + a[2k+1]·b[2k+1] in 32 bits (`i32x4.dot_i16x8_s`).
    @inline(__always)
    static func dot(_ a: SIMD8<Int16>, _ b: SIMD8<Int16>) -> SIMD4<Int32> {
        unsafeBitCast(Builtin.int_wasm_dot(a._storage._value, b._storage._value), to: SIMD4<Int32>.self)
    }

    /// Exact for |x| < 2^22: x added to the mantissa of 1.5·2^23, which is then subtracted.
    @inline(__always)
    static func float(_ x: SIMD4<Int32>) -> SIMD4<Float> {
        unsafeBitCast(x &+ 0x4B40_0000, to: SIMD4<Float>.self) - 12_582_912
    }

    #if !SWIFTLET_RELAXED_SIMD
    @inline(__always)
    private static func double(_ x: SIMD2<Float>) -> SIMD2<Double> {
        unsafeBitCast(Builtin.fpext_Vec2xFPIEEE32_Vec2xFPIEEE64(x._storage._value), to: SIMD2<Double>.self)
    }

    /// x rounded to float precision (24 significant bits), still in double: Veltkamp's
    /// split with 2^29 + 1 keeps the high 53 − 29 bits, rounded to nearest.
    @inline(__always)
    private static func roundedToFloat(_ x: SIMD2<Double>) -> SIMD2<Double> {
        let scaled = x * 536_870_913
        return scaled - (scaled - x)
    }
    #endif
}
#endif
