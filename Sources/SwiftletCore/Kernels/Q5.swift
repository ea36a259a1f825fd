/// Q5_0: 32 values as 5-bit integers centred on 16, one f16 scale.
///
///     offset 0: d  (f16)                       value[i] = d · (q[i] − 16)
///     offset 2: qh (u32): bit i is the fifth bit of q[i]
///     offset 6: qs (16 bytes, low 4 bits as in Q4_0)
public enum Q5_0: WeightFormat {
    public typealias Activation = Q8_0
    public static let tensorType = TensorType.q5_0
    public static let blockLength = 32
    public static let blockBytes = 22

    @inline(__always)
    static func quants(_ block: UnsafeRawPointer, highBitsAt offset: Int) -> SIMD32<UInt8> {
        let high = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        return IntegerDot.nibbles(block + offset + 4) | (IntegerDot.bitLanes(high) &<< 4)
    }

    public static func dequantize(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 0)
        let q = quants(block, highBitsAt: 2)
        for i in 0..<32 { values[i] = Float(Int32(q[i]) - 16) * d }
    }

    public static func dot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        var sum: Float = 0
        for b in 0..<blocks {
            let w = weights + b * blockBytes, a = activation + b * Q8_0.blockBytes
            let q = SIMD32<Int8>(truncatingIfNeeded: quants(w, highBitsAt: 2)) &- 16
            let products = IntegerDot.dot(q, IntegerDot.int8x32(a + 2))
            sum += w.loadHalf(at: 0) * a.loadHalf(at: 0) * Float(products)
        }
        return sum
    }
}

/// Q5_1: 32 values as 5-bit integers with an f16 scale and an f16 offset.
///
///     offset 0: d  (f16)                       value[i] = d · q[i] + m
///     offset 2: m  (f16)
///     offset 4: qh (u32, fifth bits as in Q5_0)
///     offset 8: qs (16 bytes)
public enum Q5_1: WeightFormat {
    public typealias Activation = Q8_1
    public static let tensorType = TensorType.q5_1
    public static let blockLength = 32
    public static let blockBytes = 24

    public static func dequantize(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 0), m = block.loadHalf(at: 2)
        let q = Q5_0.quants(block, highBitsAt: 4)
        for i in 0..<32 { values[i] = Float(q[i]) * d + m }
    }

    public static func dot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        var sum: Float = 0
        for b in 0..<blocks {
            let w = weights + b * blockBytes, a = activation + b * Q8_1.blockBytes
            let q = SIMD32<Int8>(truncatingIfNeeded: Q5_0.quants(w, highBitsAt: 4))
            let products = IntegerDot.dot(q, IntegerDot.int8x32(a + 4))
            sum += w.loadHalf(at: 0) * a.loadHalf(at: 0) * Float(products) + w.loadHalf(at: 2) * a.loadHalf(at: 2)
        }
        return sum
    }
}
