#if arch(wasm32)
/// `IntegerDot.lanes` and `nibbleLanes` in WebAssembly SIMD128, about 3× the plain loops
/// there: Embedded Swift leaves the generic lane conversions those loops need (Int8 → Int32,
/// Int32 → Float) as per-lane calls. Here bytes are paired in 16-bit lanes, widened with
/// shifts, and turned into floats by exponent arithmetic, so everything stays in v128
/// registers. The integer lane sums are exact, so the results are the loops' results.
enum WasmLanes {
    /// Lane k = Σ a[i]·b[i] over i in 4k ..< 4k + 4, for 32 int8 values.
    @inline(__always)
    static func lanes(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>) -> SIMD8<Float> {
        SIMD8(lowHalf: float(quadSums(load(a), load(b))), highHalf: float(quadSums(load(a + 16), load(b + 16))))
    }

    /// Lanes 0–3: the low nibbles (minus `offset`) times b[0..<16]; lanes 4–7: the high
    /// nibbles times b[16..<32].
    @inline(__always)
    static func nibbleLanes(_ packed: UnsafePointer<UInt8>, _ b: UnsafePointer<Int8>, offset: Int16) -> SIMD8<Float> {
        let nibbles = UnsafeRawPointer(packed).loadUnaligned(as: SIMD8<Int16>.self)  // (8,) byte pairs
        return SIMD8(
            lowHalf: float(nibbleQuadSums(nibbles, shift: 0, load(b), offset: offset)),
            highHalf: float(nibbleQuadSums(nibbles, shift: 4, load(b + 16), offset: offset)))
    }

    /// 16 int8 values as 8 little-endian byte pairs.
    @inline(__always)
    private static func load(_ p: UnsafePointer<Int8>) -> SIMD8<Int16> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Int16>.self)
    }

    /// Σ of 4 consecutive int8 products per lane, for 16 bytes of each operand.
    @inline(__always)
    private static func quadSums(_ a: SIMD8<Int16>, _ b: SIMD8<Int16>) -> SIMD4<Int32> {
        // |int8 · int8| ≤ 2^14 fits in 16 bits; the sums are taken in 32.
        pairSums(even(a) &* even(b), odd(a) &* odd(b))
    }

    @inline(__always)
    private static func nibbleQuadSums(_ nibbles: SIMD8<Int16>, shift: Int16, _ b: SIMD8<Int16>, offset: Int16) -> SIMD4<Int32> {
        let low = ((nibbles &>> shift) & 0x0f) &- offset, high = ((nibbles &>> (shift + 8)) & 0x0f) &- offset
        return pairSums(low &* even(b), high &* odd(b))
    }

    /// The even (first) and odd (second) byte of each pair, sign-extended.
    @inline(__always)
    private static func even(_ pairs: SIMD8<Int16>) -> SIMD8<Int16> { (pairs &<< 8) &>> 8 }
    @inline(__always)
    private static func odd(_ pairs: SIMD8<Int16>) -> SIMD8<Int16> { pairs &>> 8 }

    /// Lane k = e[2k] + e[2k+1] + o[2k] + o[2k+1], in 32 bits.
    @inline(__always)
    private static func pairSums(_ e: SIMD8<Int16>, _ o: SIMD8<Int16>) -> SIMD4<Int32> {
        let e = unsafeBitCast(e, to: SIMD4<Int32>.self), o = unsafeBitCast(o, to: SIMD4<Int32>.self)
        return ((e &<< 16) &>> 16) &+ (e &>> 16) &+ ((o &<< 16) &>> 16) &+ (o &>> 16)
    }

    /// Exact for |x| < 2^22: x added to the mantissa of 1.5·2^23, which is then subtracted.
    @inline(__always)
    private static func float(_ x: SIMD4<Int32>) -> SIMD4<Float> {
        unsafeBitCast(x &+ 0x4B40_0000, to: SIMD4<Float>.self) - 12_582_912
    }
}
#endif
