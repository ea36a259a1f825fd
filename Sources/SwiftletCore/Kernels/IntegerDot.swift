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

    /// Σ q[i]·b[i] for the 32 4-bit values of a 16-byte block (low nibbles are elements
    /// 0–15, high nibbles 16–31: ggml's order for Q4_0/Q4_1/Q5_0/Q5_1), each minus `offset`.
    @inline(__always)
    static func nibbleDot(_ packed: UnsafePointer<UInt8>, _ b: UnsafePointer<Int8>, offset: Int32) -> Int32 {
        var sum: Int32 = 0
        for i in 0..<16 {
            let byte = Int32(packed[i])
            sum &+= ((byte & 0x0f) &- offset) &* Int32(b[i]) &+ ((byte >> 4) &- offset) &* Int32(b[i + 16])
        }
        return sum
    }

    /// As `nibbleDot`, with a fifth bit per value from `high` (bit i for element i).
    @inline(__always)
    static func fiveBitDot(_ packed: UnsafePointer<UInt8>, high: UInt32, _ b: UnsafePointer<Int8>, offset: Int32) -> Int32 {
        var sum: Int32 = 0
        for i in 0..<16 {
            let byte = Int32(packed[i])
            let low = (byte & 0x0f) | Int32((high >> UInt32(i)) & 1) << 4
            let upper = (byte >> 4) | Int32((high >> UInt32(i + 16)) & 1) << 4
            sum &+= (low &- offset) &* Int32(b[i]) &+ (upper &- offset) &* Int32(b[i + 16])
        }
        return sum
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
