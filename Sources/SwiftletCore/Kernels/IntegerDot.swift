/// Integer building blocks of the quantized dot products, in portable Swift SIMD: this is
/// the code the WebAssembly build runs as SIMD128 and the reference for native fast paths.
enum IntegerDot {
    /// Σ a·b over 32 int8 lanes. Products fit Int16 (|−128·−128| = 16384); sums need Int32.
    @inline(__always)
    static func dot(_ a: SIMD32<Int8>, _ b: SIMD32<Int8>) -> Int32 {
        let products = SIMD32<Int16>(truncatingIfNeeded: a) &* SIMD32<Int16>(truncatingIfNeeded: b)
        return SIMD32<Int32>(truncatingIfNeeded: products).wrappedSum()
    }

    @inline(__always)
    static func dot(_ a: SIMD16<Int8>, _ b: SIMD16<Int8>) -> Int32 {
        let products = SIMD16<Int16>(truncatingIfNeeded: a) &* SIMD16<Int16>(truncatingIfNeeded: b)
        return SIMD16<Int32>(truncatingIfNeeded: products).wrappedSum()
    }

    /// The 32 4-bit values of a 16-byte block: low nibbles are elements 0–15, high nibbles
    /// 16–31 (ggml's order for Q4_0/Q4_1/Q5_0/Q5_1).
    @inline(__always)
    static func nibbles(_ bytes: UnsafeRawPointer) -> SIMD32<UInt8> {
        let packed = bytes.loadUnaligned(as: SIMD16<UInt8>.self)
        return SIMD32(lowHalf: packed & 0x0f, highHalf: packed &>> 4)
    }

    /// Bit i of `bits` as lane i (0 or 1): the fifth bits of Q5_0/Q5_1.
    @inline(__always)
    static func bitLanes(_ bits: UInt32) -> SIMD32<UInt8> {
        let shifts = SIMD32<UInt32>(
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
            16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31)
        return SIMD32<UInt8>(truncatingIfNeeded: (SIMD32(repeating: bits) &>> shifts) & 1)
    }

    @inline(__always)
    static func int8x32(_ pointer: UnsafeRawPointer) -> SIMD32<Int8> {
        pointer.loadUnaligned(as: SIMD32<Int8>.self)
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
