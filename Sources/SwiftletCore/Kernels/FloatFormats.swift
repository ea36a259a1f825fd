/// Unquantized weights. F32 weights take f32 activations; F16 and BF16 weights take
/// activations rounded to their own format, as ggml does, so both sides of the dot product
/// hold the same precision.
public enum F32: WeightFormat, ActivationFormat {
    public typealias Activation = F32
    public static let tensorType = TensorType.f32
    public static let blockLength = 1
    public static let blockBytes = 4

    public static func dequantize(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        values.pointee = Float(bitPattern: UInt32(littleEndian: block.loadUnaligned(as: UInt32.self)))
    }

    public static func quantize(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        block.storeBytes(of: values.pointee.bitPattern.littleEndian, as: UInt32.self)
    }

    public static func dot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        var sum = SIMD8<Float>()
        var i = 0
        while i + 8 <= blocks {
            sum += weights.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                * activation.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        var total = sum.sum()
        while i < blocks {
            total += weights.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
                * activation.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
            i += 1
        }
        return total
    }
}

/// A 16-bit float format described by its conversions (IEEE half or bfloat16).
public protocol HalfWidthFloat: WeightFormat, ActivationFormat {
    static func float(_ bits: UInt16) -> Float
    static func bits(_ value: Float) -> UInt16
}

extension HalfWidthFloat {
    public static var blockLength: Int { 1 }
    public static var blockBytes: Int { 2 }

    public static func dequantize(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        values.pointee = float(UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
    }

    public static func quantize(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        block.storeBytes(of: bits(values.pointee).littleEndian, as: UInt16.self)
    }

    public static func dot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        var sum = SIMD8<Float>()
        var i = 0
        while i + 8 <= blocks {
            var w = SIMD8<Float>(), a = SIMD8<Float>()
            for lane in 0..<8 {
                w[lane] = float(weights.loadUnaligned(fromByteOffset: (i + lane) * 2, as: UInt16.self))
                a[lane] = float(activation.loadUnaligned(fromByteOffset: (i + lane) * 2, as: UInt16.self))
            }
            sum += w * a
            i += 8
        }
        var total = sum.sum()
        while i < blocks {
            total += float(weights.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                * float(activation.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
            i += 1
        }
        return total
    }
}

public enum F16: HalfWidthFloat {
    public typealias Activation = F16
    public static let tensorType = TensorType.f16
    @inline(__always) public static func float(_ bits: UInt16) -> Float { HalfPrecision.float(fromHalf: bits) }
    @inline(__always) public static func bits(_ value: Float) -> UInt16 { HalfPrecision.half(fromFloat: value) }
}

public enum BF16: HalfWidthFloat {
    public typealias Activation = BF16
    public static let tensorType = TensorType.bf16
    @inline(__always) public static func float(_ bits: UInt16) -> Float { HalfPrecision.float(fromBFloat16: bits) }
    @inline(__always) public static func bits(_ value: Float) -> UInt16 { HalfPrecision.bfloat16(fromFloat: value) }
}
