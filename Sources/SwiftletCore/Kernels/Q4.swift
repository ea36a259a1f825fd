/// Q4_0: 32 values as 4-bit integers centred on 8, one f16 scale.
///
///     offset 0: d  (f16)                       value[i] = d · (q[i] − 8)
///     offset 2: qs (16 bytes): byte j holds q[j] in its low nibble, q[j + 16] in its high
public enum Q4_0: WeightFormat {
    public typealias Activation = Q8_0
    public static let tensorType = TensorType.q4_0
    public static let blockLength = 32
    public static let blockBytes = 18

    public static func dequantize(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 0)
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 32) { q in
            IntegerDot.unpack(block.bytes(at: 2), into: q.baseAddress!)
            for i in 0..<32 { values[i] = Float(q[i] - 8) * d }
        }
    }

    public static func dot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        IntegerDot.blockDot(weights, activation, blocks: blocks, weightBytes: blockBytes,
                            activationBytes: Q8_0.blockBytes, hasOffset: false) { w, a in
            IntegerDot.nibbleLanes(w.bytes(at: 2), a.int8s(at: 2), offset: 8)
        }
    }

    public static func dot4(_ weights: UnsafeRawPointer, rowBytes: Int, _ activation: UnsafeRawPointer, blocks: Int) -> SIMD4<Float> {
        IntegerDot.blockDot4(weights, rowBytes: rowBytes, activation, blocks: blocks, weightBytes: blockBytes,
                             activationBytes: Q8_0.blockBytes, hasOffset: false) { w, a in
            IntegerDot.nibbleLanes(w.bytes(at: 2), a.int8s(at: 2), offset: 8)
        }
    }
}

/// Q4_1: 32 values as 4-bit integers with an f16 scale and an f16 offset.
///
///     offset 0: d  (f16)                       value[i] = d · q[i] + m
///     offset 2: m  (f16)
///     offset 4: qs (16 bytes, nibbles as in Q4_0)
public enum Q4_1: WeightFormat {
    public typealias Activation = Q8_1
    public static let tensorType = TensorType.q4_1
    public static let blockLength = 32
    public static let blockBytes = 20

    public static func dequantize(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 0), m = block.loadHalf(at: 2)
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 32) { q in
            IntegerDot.unpack(block.bytes(at: 4), into: q.baseAddress!)
            for i in 0..<32 { values[i] = Float(q[i]) * d + m }
        }
    }

    /// Σ (d·q + m)·(da·qa) = d·da·Σ q·qa + m·s, with s = da·Σqa from the Q8_1 block.
    public static func dot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        IntegerDot.blockDot(weights, activation, blocks: blocks, weightBytes: blockBytes,
                            activationBytes: Q8_1.blockBytes, hasOffset: true) { w, a in
            IntegerDot.nibbleLanes(w.bytes(at: 4), a.int8s(at: 4), offset: 0)
        }
    }

    public static func dot4(_ weights: UnsafeRawPointer, rowBytes: Int, _ activation: UnsafeRawPointer, blocks: Int) -> SIMD4<Float> {
        IntegerDot.blockDot4(weights, rowBytes: rowBytes, activation, blocks: blocks, weightBytes: blockBytes,
                             activationBytes: Q8_1.blockBytes, hasOffset: true) { w, a in
            IntegerDot.nibbleLanes(w.bytes(at: 4), a.int8s(at: 4), offset: 0)
        }
    }
}
