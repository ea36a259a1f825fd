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
    static func highBits(_ block: UnsafeRawPointer, at offset: Int) -> UInt32 {
        UInt32(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    public static func dequantize(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 0)
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 32) { q in
            IntegerDot.unpack(block.bytes(at: 6), high: highBits(block, at: 2), into: q.baseAddress!)
            for i in 0..<32 { values[i] = Float(q[i] - 16) * d }
        }
    }

    public static func dot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        IntegerDot.blockDot(weights, activation, blocks: blocks, weightBytes: blockBytes,
                            activationBytes: Q8_0.blockBytes, hasOffset: false) { w, a in
            IntegerDot.nibbleLanes(w.bytes(at: 6), high: highBits(w, at: 2), a.int8s(at: 2), offset: 16)
        }
    }

    public static func dot4(_ weights: UnsafeRawPointer, rowBytes: Int, _ activation: UnsafeRawPointer, blocks: Int) -> SIMD4<Float> {
        IntegerDot.blockDot4(weights, rowBytes: rowBytes, activation, blocks: blocks, weightBytes: blockBytes,
                             activationBytes: Q8_0.blockBytes, hasOffset: false) { w, a in
            IntegerDot.nibbleLanes(w.bytes(at: 6), high: highBits(w, at: 2), a.int8s(at: 2), offset: 16)
        }
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
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 32) { q in
            IntegerDot.unpack(block.bytes(at: 8), high: Q5_0.highBits(block, at: 4), into: q.baseAddress!)
            for i in 0..<32 { values[i] = Float(q[i]) * d + m }
        }
    }

    public static func dot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        IntegerDot.blockDot(weights, activation, blocks: blocks, weightBytes: blockBytes,
                            activationBytes: Q8_1.blockBytes, hasOffset: true) { w, a in
            IntegerDot.nibbleLanes(w.bytes(at: 8), high: Q5_0.highBits(w, at: 4), a.int8s(at: 4), offset: 0)
        }
    }

    public static func dot4(_ weights: UnsafeRawPointer, rowBytes: Int, _ activation: UnsafeRawPointer, blocks: Int) -> SIMD4<Float> {
        IntegerDot.blockDot4(weights, rowBytes: rowBytes, activation, blocks: blocks, weightBytes: blockBytes,
                             activationBytes: Q8_1.blockBytes, hasOffset: true) { w, a in
            IntegerDot.nibbleLanes(w.bytes(at: 8), high: Q5_0.highBits(w, at: 4), a.int8s(at: 4), offset: 0)
        }
    }
}
