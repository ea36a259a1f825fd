/// Q8_0: 32 values as int8 with one f16 scale. A weight format and the activation format
/// of Q4_0, Q5_0 and Q8_0 weights.
///
///     offset 0: d  (f16)      value[i] = d · qs[i]
///     offset 2: qs (32 × int8)
public enum Q8_0: WeightFormat, ActivationFormat {
    public typealias Activation = Q8_0
    public static let tensorType = TensorType.q8_0
    public static let blockLength = 32
    public static let blockBytes = 34

    public static func dequantize(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 0)
        for i in 0..<32 {
            values[i] = Float(block.load(fromByteOffset: 2 + i, as: Int8.self)) * d
        }
    }

    /// As llama.cpp quantizes activations at run time on x86 (quantize_row_q8_0): the
    /// largest magnitude maps to ±127 through the multiplier 127/max, rounding half to
    /// even. (ggml's reference quantizer, used for model files, multiplies by 1/d and
    /// rounds half away from zero, which differs in the last bit of some values.)
    public static func quantize(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let maximum = Q8Scale.absoluteMax(values, 32)
        block.storeBytes(of: HalfPrecision.half(fromFloat: maximum / 127).littleEndian, as: UInt16.self)
        Q8Scale.round(values, multiplier: maximum != 0 ? 127 / maximum : 0, into: block + 2)
    }

    public static func dot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        IntegerDot.blockDot(weights, activation, blocks: blocks, weightBytes: blockBytes,
                            activationBytes: blockBytes, hasOffset: false) { w, a in
            IntegerDot.lanes(w.int8s(at: 2), a.int8s(at: 2))
        }
    }

    public static func dot4(_ weights: UnsafeRawPointer, rowBytes: Int, _ activation: UnsafeRawPointer, blocks: Int) -> SIMD4<Float> {
        IntegerDot.blockDot4(weights, rowBytes: rowBytes, activation, blocks: blocks, weightBytes: blockBytes,
                             activationBytes: blockBytes, hasOffset: false) { w, a in
            IntegerDot.lanes(w.int8s(at: 2), a.int8s(at: 2))
        }
    }
}

/// Q8_1: Q8_0 plus s = d · Σqs, the activation format of Q4_1 and Q5_1 weights, whose
/// per-block offset m then contributes m · s without another pass over the values.
///
///     offset 0: d  (f16)
///     offset 2: s  (f16)
///     offset 4: qs (32 × int8)
public enum Q8_1: ActivationFormat {
    public static let blockLength = 32
    public static let blockBytes = 36

    public static func dequantize(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 0)
        for i in 0..<32 {
            values[i] = Float(block.load(fromByteOffset: 4 + i, as: Int8.self)) * d
        }
    }

    /// As Q8_0 (llama.cpp's x86 run-time rounding), plus the sum.
    public static func quantize(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let maximum = Q8Scale.absoluteMax(values, 32)
        let d = maximum / 127
        Q8Scale.round(values, multiplier: maximum != 0 ? 127 / maximum : 0, into: block + 4)
        var sum: Int32 = 0
        for i in 0..<32 { sum += Int32(block.load(fromByteOffset: 4 + i, as: Int8.self)) }
        block.storeBytes(of: HalfPrecision.half(fromFloat: d).littleEndian, as: UInt16.self)
        block.storeBytes(of: HalfPrecision.half(fromFloat: d * Float(sum)).littleEndian, toByteOffset: 2, as: UInt16.self)
    }
}

/// Q8_K: 256 values as int8 with an f32 scale and the sums of each 16 values, the
/// activation format of every k-quant (the sums serve the k-quants' per-block minimums).
///
///     offset   0: d     (f32)       value[i] = d · qs[i]
///     offset   4: qs    (256 × int8)
///     offset 260: bsums (16 × int16), bsums[j] = Σ qs[16j ..< 16j+16]
public enum Q8_K: ActivationFormat {
    public static let blockLength = 256
    public static let blockBytes = 292

    public static func dequantize(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadUnaligned(as: Float.self)
        for i in 0..<256 {
            values[i] = d * Float(block.load(fromByteOffset: 4 + i, as: Int8.self))
        }
    }

    /// ggml's quantize_row_q8_K_ref: the value of largest magnitude maps to −127 exactly
    /// (its sign folded into d), rounding half to even.
    public static func quantize(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        quantize(values, into: block, positiveWinsTies: false)
    }

    /// `positiveWinsTies`: where +max and −max both occur, the positive one maps to −127, as
    /// in llama.cpp's x86 quantizer for the 4-row groups of its repacked kernels
    /// (ggml_quantize_mat_q8_K_4x8); the reference takes whichever comes first.
    static func quantize(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer, positiveWinsTies: Bool) {
        var maxMagnitude: Float = 0
        var extreme: Float = 0
        for i in 0..<256 {
            let magnitude = abs(values[i])
            if magnitude > maxMagnitude || (positiveWinsTies && magnitude == maxMagnitude && values[i] > 0) {
                maxMagnitude = magnitude
                extreme = values[i]
            }
        }
        guard maxMagnitude != 0 else {
            block.initializeMemory(as: UInt8.self, repeating: 0, count: blockBytes)
            return
        }
        let inverseScale = -127 / extreme
        for j in 0..<16 {
            var sum: Int16 = 0
            for i in (16 * j)..<(16 * j + 16) {
                let q = Int8(saturating: (inverseScale * values[i]).rounded(.toNearestOrEven))
                block.storeBytes(of: q, toByteOffset: 4 + i, as: Int8.self)
                sum += Int16(q)
            }
            block.storeBytes(of: sum.littleEndian, toByteOffset: 260 + 2 * j, as: Int16.self)
        }
        block.storeBytes(of: 1 / inverseScale, as: Float.self)
    }

    @inline(__always)
    static func scale(_ block: UnsafeRawPointer) -> Float { block.loadUnaligned(as: Float.self) }

    @inline(__always)
    static func quants(_ block: UnsafeRawPointer) -> UnsafeRawPointer { block + 4 }

    @inline(__always)
    static func blockSum(_ block: UnsafeRawPointer, _ j: Int) -> Int32 {
        Int32(Int16(littleEndian: block.loadUnaligned(fromByteOffset: 260 + 2 * j, as: Int16.self)))
    }
}

enum Q8Scale {
    @inline(__always)
    static func absoluteMax(_ values: UnsafePointer<Float>, _ count: Int) -> Float {
        var result: Float = 0
        for i in 0..<count { result = Swift.max(result, abs(values[i])) }
        return result
    }

    /// 32 values × `multiplier`, rounded half to even, as int8.
    @inline(__always)
    static func round(_ values: UnsafePointer<Float>, multiplier: Float, into out: UnsafeMutableRawPointer) {
        #if arch(x86_64) && SWIFTLET_AVX2
        // An infinite multiplier (a block of values below 4e-37) saturates: the loop's case.
        if multiplier.isFinite { return X86Lanes.quantize(values, multiplier: multiplier, into: out) }
        #endif
        for i in 0..<32 {
            out.storeBytes(of: Int8(saturating: (values[i] * multiplier).rounded(.toNearestOrEven)), toByteOffset: i, as: Int8.self)
        }
    }
}
