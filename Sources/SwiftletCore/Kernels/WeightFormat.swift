/// A block format: `blockLength` values stored in `blockBytes` bytes (ggml's block layout).
public protocol BlockFormat {
    static var blockLength: Int { get }
    static var blockBytes: Int { get }
    /// Writes the block's `blockLength` values as floats. This is the reference every fast
    /// path is tested against.
    static func dequantize(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>)
}

/// A format activations (the f32 vectors a layer multiplies with its weights) are quantized
/// into, so that the dot product runs on integers.
public protocol ActivationFormat: BlockFormat {
    static func quantize(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer)
}

/// A format weights are stored in, paired with the activation format its dot product takes
/// (ggml's `vec_dot_type`: Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for k-quants).
/// `dot` is the one kernel a matrix-vector product spends its time in; a format adds native
/// fast paths inside it, beside the portable SIMD code the WebAssembly build uses.
///
/// llama.cpp multiplies some formats in a batch with matrix kernels of their own (repacked
/// weights, tiles), whose float arithmetic differs from its one-token kernel. The batch
/// members say which tokens of a batch take that kernel and follow it, so that Swiftlet's
/// batched results are llama.cpp's too.
public protocol WeightFormat: BlockFormat {
    associatedtype Activation: ActivationFormat
    static var tensorType: TensorType { get }
    /// Σ weight·activation over `blocks` consecutive blocks of each, as llama.cpp computes
    /// it for one token.
    static func dot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float
    /// `dot` for 4 rows `rowBytes` apart against the same activation, with the same results.
    static func dot4(_ weights: UnsafeRawPointer, rowBytes: Int, _ activation: UnsafeRawPointer, blocks: Int) -> SIMD4<Float>
    /// `dot4` for the rows and tokens of a tile (prefill); formats with a faster way to
    /// reuse the rows across tokens give it here, with the same results.
    static func multiply(_ tile: RowTile)
    /// Rows per tile `multiply` takes best for `tokens` tokens: 4, or a multiple of 4.
    static func tileRows(tokens: Int) -> Int
    /// `batchDot` for the rows of a tile and its tokens (those `batchKernelTokens` gives
    /// the matrix kernel), with the same results.
    static func multiplyBatch(_ tile: RowTile)
    /// How many leading tokens of a batch of `count` llama.cpp multiplies with its matrix
    /// kernel (`batchDot`, activations quantized by `quantizeBatchActivation`); the rest
    /// take `dot`.
    static func batchKernelTokens(of count: Int) -> Int
    /// Σ weight·activation as llama.cpp's matrix kernel computes it.
    static func batchDot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float
    /// Quantizes one block of an activation row for `batchDot`.
    static func quantizeBatchActivation(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer)
}

extension WeightFormat {
    public static func dot4(_ weights: UnsafeRawPointer, rowBytes: Int, _ activation: UnsafeRawPointer, blocks: Int) -> SIMD4<Float> {
        SIMD4(dot(weights, activation, blocks: blocks), dot(weights + rowBytes, activation, blocks: blocks),
              dot(weights + 2 * rowBytes, activation, blocks: blocks), dot(weights + 3 * rowBytes, activation, blocks: blocks))
    }

    public static func multiply(_ tile: RowTile) { multiplyByDots(tile) }

    public static func tileRows(tokens: Int) -> Int { 4 }

    static func multiplyByDots(_ p: RowTile) {
        for b in p.tokens {
            for group in stride(from: 0, to: p.rows, by: 4) {
                let dots = dot4(p.weights + group * p.rowBytes, rowBytes: p.rowBytes, p.activations + b * p.activationRowBytes, blocks: p.blocks)
                for r in 0..<4 { p.y[b * p.outputStride + group + r] = dots[r] }
            }
        }
    }

    public static func multiplyBatch(_ p: RowTile) { multiplyBatchByRows(p) }

    static func multiplyBatchByRows(_ p: RowTile) {
        for b in p.tokens {
            for r in 0..<p.rows {
                p.y[b * p.outputStride + r] = batchDot(p.weights + r * p.rowBytes, p.activations + b * p.activationRowBytes, blocks: p.blocks)
            }
        }
    }

    public static func batchKernelTokens(of count: Int) -> Int { 0 }

    public static func batchDot(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
        dot(weights, activation, blocks: blocks)
    }

    public static func quantizeBatchActivation(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        Activation.quantize(values, into: block)
    }
}

extension BlockFormat {
    /// Dequantizes `count` values (whole blocks) starting at `source`.
    public static func dequantizeRow(_ source: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count % blockLength == 0)
        for block in 0..<(count / blockLength) {
            dequantize(source + block * blockBytes, into: values + block * blockLength)
        }
    }
}

extension ActivationFormat {
    /// Quantizes `count` values (whole blocks) into `destination`.
    public static func quantizeRow(_ values: UnsafePointer<Float>, into destination: UnsafeMutableRawPointer, count: Int) {
        precondition(count % blockLength == 0)
        for block in 0..<(count / blockLength) {
            quantize(values + block * blockLength, into: destination + block * blockBytes)
        }
    }
}

/// `rows` weight rows (4, or a multiple of 4) times the tokens `tokens` of a batch of
/// quantized activations: y[b · outputStride + r] = row r · activation b.
public struct RowTile {
    var rows: Int
    var weights: UnsafeRawPointer          // `rows` rows, `rowBytes` apart
    var rowBytes: Int
    var activations: UnsafeRawPointer      // [batch × activationRowBytes]
    var activationRowBytes: Int
    var tokens: Range<Int>
    var blocks: Int                        // per row
    var y: UnsafeMutablePointer<Float>     // the first row's output of token 0
    var outputStride: Int                  // between tokens' outputs

    public init(
        rows: Int = 4, weights: UnsafeRawPointer, rowBytes: Int, activations: UnsafeRawPointer, activationRowBytes: Int,
        tokens: Range<Int>, blocks: Int, y: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        precondition(rows > 0 && rows % 4 == 0)
        self.rows = rows
        (self.weights, self.rowBytes, self.activations, self.activationRowBytes) = (weights, rowBytes, activations, activationRowBytes)
        (self.tokens, self.blocks, self.y, self.outputStride) = (tokens, blocks, y, outputStride)
    }
}

/// Runs generic code with the weight format of a tensor type: one closed switch, so every
/// caller gets code specialized for the format (ggml's type_traits, resolved at compile time).
public protocol WeightFormatVisitor {
    associatedtype Result
    func visit<Format: WeightFormat>(_ format: Format.Type) -> Result
}

extension TensorType {
    /// Calls `visitor` with this type's weight format; nil when Swiftlet cannot compute
    /// with this type (i-quants, integer tensors, ...).
    public func withWeightFormat<Visitor: WeightFormatVisitor>(_ visitor: Visitor) -> Visitor.Result? {
        switch self {
        case .f32: visitor.visit(F32.self)
        case .f16: visitor.visit(F16.self)
        case .bf16: visitor.visit(BF16.self)
        case .q4_0: visitor.visit(Q4_0.self)
        case .q4_1: visitor.visit(Q4_1.self)
        case .q5_0: visitor.visit(Q5_0.self)
        case .q5_1: visitor.visit(Q5_1.self)
        case .q8_0: visitor.visit(Q8_0.self)
        case .q2_K: visitor.visit(Q2_K.self)
        case .q3_K: visitor.visit(Q3_K.self)
        case .q4_K: visitor.visit(Q4_K.self)
        case .q5_K: visitor.visit(Q5_K.self)
        case .q6_K: visitor.visit(Q6_K.self)
        default: nil
        }
    }

    /// Whether Swiftlet can dequantize this type and multiply with it.
    public var isComputable: Bool { withWeightFormat(IsComputable()) ?? false }
}

private struct IsComputable: WeightFormatVisitor {
    func visit<Format: WeightFormat>(_: Format.Type) -> Bool { true }
}

/// The row operations of one weight type, looked up once (e.g. when a model binds its
/// tensors) and then called per row without a switch.
public struct RowKernels {
    public let type: TensorType
    /// Bytes of one quantized activation row of `count` values is
    /// `count / blockLength * activationBlockBytes`.
    public let blockLength: Int
    public let activationBlockBytes: Int
    public let dequantizeRow: (_ source: UnsafeRawPointer, _ values: UnsafeMutablePointer<Float>, _ count: Int) -> Void
    public let quantizeActivationRow: (_ values: UnsafePointer<Float>, _ destination: UnsafeMutableRawPointer, _ count: Int) -> Void
    /// Σ weights·activation over a row of `count` values.
    public let dotRow: (_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ count: Int) -> Float
    /// A tile of rows times several tokens (`dotRow` for each).
    public let multiplyRows: (_ tile: RowTile) -> Void
    /// Rows per tile `multiplyRows` takes best for a number of tokens.
    public let tileRows: (_ tokens: Int) -> Int
    /// The same for the tokens of the matrix kernel (`batchDotRow` for each).
    public let multiplyRowsBatch: (_ tile: RowTile) -> Void
    /// The same for the tokens of a batch that llama.cpp gives its matrix kernel: how many
    /// of a batch they are, how their activations are quantized, and the dot product.
    public let batchKernelTokens: (_ batch: Int) -> Int
    public let quantizeBatchActivationRow: (_ values: UnsafePointer<Float>, _ destination: UnsafeMutableRawPointer, _ count: Int) -> Void
    public let batchDotRow: (_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ count: Int) -> Float

    public init?(_ type: TensorType) {
        guard let kernels = type.withWeightFormat(MakeRowKernels()) else { return nil }
        self = kernels
    }

    init<Format: WeightFormat>(_: Format.Type) {
        type = Format.tensorType
        blockLength = Format.blockLength
        activationBlockBytes = Format.Activation.blockBytes
        dequantizeRow = { Format.dequantizeRow($0, into: $1, count: $2) }
        quantizeActivationRow = { Format.Activation.quantizeRow($0, into: $1, count: $2) }
        dotRow = { Format.dot($0, $1, blocks: $2 / Format.blockLength) }
        multiplyRows = { Format.multiply($0) }
        tileRows = { Format.tileRows(tokens: $0) }
        multiplyRowsBatch = { Format.multiplyBatch($0) }
        batchKernelTokens = { Format.batchKernelTokens(of: $0) }
        quantizeBatchActivationRow = { values, destination, count in
            precondition(count % Format.blockLength == 0)
            for block in 0..<(count / Format.blockLength) {
                Format.quantizeBatchActivation(
                    values + block * Format.blockLength, into: destination + block * Format.Activation.blockBytes)
            }
        }
        batchDotRow = { Format.batchDot($0, $1, blocks: $2 / Format.blockLength) }
    }

    public func activationRowBytes(count: Int) -> Int { count / blockLength * activationBlockBytes }
}

private struct MakeRowKernels: WeightFormatVisitor {
    func visit<Format: WeightFormat>(_ format: Format.Type) -> RowKernels { RowKernels(format) }
}
