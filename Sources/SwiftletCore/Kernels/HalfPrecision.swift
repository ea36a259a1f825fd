#if arch(x86_64) && SWIFTLET_AVX2
import _Builtin_intrinsics.intel
#endif

/// IEEE half and bfloat16 conversions done on bit patterns, so they are exact and identical
/// on every target (no dependence on F16C or on compiler-rt helpers in WebAssembly).
/// Native x86-64 builds have F16C, whose conversions give the same bits for every number
/// (they differ only in NaN payloads), and use it for those.
public enum HalfPrecision {
    /// Half → float, exact. Rescaling by 2^112 moves the 5-bit exponent into the float's
    /// range and turns half subnormals into float normals in one multiply.
    @inline(__always)
    public static func float(fromHalf half: UInt16) -> Float {
        #if arch(x86_64) && SWIFTLET_AVX2
        if half & 0x7c00 != 0x7c00 { return Float(Float16(bitPattern: half)) }
        #endif
        let sign = UInt32(half & 0x8000) << 16
        let magnitude = UInt32(half & 0x7fff)
        let value: Float
        if magnitude >= 0x7c00 {  // infinity or NaN: keep the payload, saturate the exponent
            value = Float(bitPattern: (magnitude << 13) | 0x7f80_0000)
        } else {
            value = Float(bitPattern: magnitude << 13) * Float(bitPattern: 0x7780_0000)  // × 2^112
        }
        return Float(bitPattern: value.bitPattern | sign)
    }

    /// `count` halves → floats, 8 at a time with F16C where the build has it.
    @inline(__always)
    public static func floats(fromHalves halves: UnsafePointer<UInt16>, count: Int, into out: UnsafeMutablePointer<Float>) {
        var i = 0
        #if arch(x86_64) && SWIFTLET_AVX2
        while i + 8 <= count {
            let eight = UnsafeRawPointer(halves + i).loadUnaligned(as: SIMD8<UInt16>.self)
            let converted = _mm256_cvtph_ps(unsafeBitCast(eight, to: __m128i.self))
            UnsafeMutableRawPointer(out + i).storeBytes(of: converted, as: SIMD8<Float>.self)
            i += 8
        }
        #endif
        while i < count {
            out[i] = float(fromHalf: halves[i])
            i += 1
        }
    }

    /// Float → half, rounding to nearest even (what ggml's GGML_FP32_TO_FP16 gives).
    /// The float additions do the rounding: `base` is scaled so that the bits below the
    /// half's mantissa fall off in the hardware's round-to-nearest-even.
    @inline(__always)
    public static func half(fromFloat value: Float) -> UInt16 {
        #if arch(x86_64) && SWIFTLET_AVX2
        if !value.isNaN { return Float16(value).bitPattern }
        #endif
        let bits = value.bitPattern
        let doubled = bits &+ bits  // drops the sign
        let sign = bits & 0x8000_0000
        var base = (abs(value) * Float(bitPattern: 0x7780_0000)) * Float(bitPattern: 0x0880_0000)  // × 2^112 × 2^-110
        var bias = doubled & 0xff00_0000
        if bias < 0x7100_0000 { bias = 0x7100_0000 }
        base = Float(bitPattern: (bias >> 1) &+ 0x0780_0000) + base
        let rounded = base.bitPattern
        let exponent = (rounded >> 13) & 0x0000_7c00
        let mantissa = rounded & 0x0000_0fff
        let magnitude = doubled > 0xff00_0000 ? 0x7e00 : exponent &+ mantissa  // NaN → quiet NaN
        return UInt16(truncatingIfNeeded: (sign >> 16) | magnitude)
    }

    @inline(__always)
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Float → bfloat16, rounding to nearest even; NaNs stay quiet NaNs.
    @inline(__always)
    public static func bfloat16(fromFloat value: Float) -> UInt16 {
        let bits = value.bitPattern
        if bits & 0x7fff_ffff > 0x7f80_0000 { return UInt16(truncatingIfNeeded: bits >> 16) | 64 }
        return UInt16(truncatingIfNeeded: (bits &+ (0x7fff &+ ((bits >> 16) & 1))) >> 16)
    }
}

extension UnsafeRawPointer {
    /// The little-endian half at `offset`, as Float.
    @inline(__always)
    func loadHalf(at offset: Int) -> Float {
        HalfPrecision.float(fromHalf: UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }
}
