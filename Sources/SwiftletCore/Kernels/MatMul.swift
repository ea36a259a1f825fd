/// Runs `body(task)` for every task in 0..<count, possibly in parallel. The native shell
/// hands in its thread pool; the core never starts threads itself.
public typealias ParallelFor = (_ count: Int, _ body: (Int) -> Void) -> Void

/// Runs the tasks one after another: the default where no thread pool is given.
public func serialFor(_ count: Int, _ body: (Int) -> Void) {
    for task in 0..<count { body(task) }
}

/// A 2-D weight tensor in the model file, used as y = W·x: `rows` outputs, each the dot
/// product of a stored row of `columns` values with the input.
public struct WeightMatrix {
    public let name: String
    public let type: TensorType
    /// Output features (ggml's ne1).
    public let rows: Int
    /// Input features (ggml's ne0), the length of one stored row.
    public let columns: Int
    let data: UnsafeRawPointer
    /// Bytes of one stored row.
    public let rowBytes: Int
    let kernels: RowKernels

    /// Rows handed to one parallel task: enough work to amortize scheduling.
    static let rowsPerTask = 16

    public init(_ tensor: TensorInfo, in file: GGUFFile) throws(ModelError) {
        guard tensor.shape.count == 2 || (tensor.shape.count > 2 && tensor.shape[2...].allSatisfy { $0 == 1 }) else {
            throw .badShape(tensor: tensor.name, expected: "2 dimensions", found: tensor.shape)
        }
        guard let kernels = RowKernels(tensor.type) else {
            throw .unsupportedTensorType(tensor: tensor.name, type: tensor.type.name)
        }
        name = tensor.name
        type = tensor.type
        columns = tensor.shape[0]
        rows = tensor.shape[1]
        data = file.data(of: tensor).baseAddress ?? UnsafeRawPointer(file.bytes.baseAddress!)
        rowBytes = tensor.rowBytes
        self.kernels = kernels
    }

    /// Rows `range` as a matrix of their own: the parts of a fused tensor (Phi-3 stores
    /// Q, K and V in one, and the gate above the up projection in another).
    func rows(_ range: Range<Int>, name: String) -> WeightMatrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows)
        return WeightMatrix(
            name: name, type: type, rows: range.count, columns: columns,
            data: data + range.lowerBound * rowBytes, rowBytes: rowBytes, kernels: kernels)
    }

    private init(name: String, type: TensorType, rows: Int, columns: Int, data: UnsafeRawPointer, rowBytes: Int, kernels: RowKernels) {
        self.name = name
        self.type = type
        self.rows = rows
        self.columns = columns
        self.data = data
        self.rowBytes = rowBytes
        self.kernels = kernels
    }

    /// The stored rows as they are in the file: [rows × rowBytes].
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: data, count: rows * rowBytes) }

    /// Bytes one input row takes once quantized for this matrix's dot product.
    public var activationRowBytes: Int { kernels.activationRowBytes(count: columns) }

    /// Quantizes `batch` input rows of `columns` floats (x: [batch × columns]) into
    /// `activations` ([batch × activationRowBytes]); a batch of 16 or more spreads its
    /// rows over the pool (fewer are not worth a barrier).
    func quantize(
        _ x: UnsafePointer<Float>, batch: Int, into activations: UnsafeMutableRawPointer, decodeArithmetic: Bool,
        parallel: ParallelFor
    ) {
        let batchKernelTokens = batchKernelTokens(batch, decodeArithmetic)
        let quantizeRow = { (b: Int) in
            let quantize = b < batchKernelTokens ? kernels.quantizeBatchActivationRow : kernels.quantizeActivationRow
            quantize(x + b * columns, activations + b * activationRowBytes, columns)
        }
        if batch >= 16 { parallel(batch, quantizeRow) } else { (0..<batch).forEach(quantizeRow) }
    }

    /// y = W·x for a batch: x: [batch × columns] f32, y: [batch × rows]. Each weight row is
    /// loaded once and used for every input of the batch, so prefill reads the weights once
    /// per batch instead of once per token. `scratch` holds the quantized inputs
    /// (batch × activationRowBytes bytes). With `decodeArithmetic`, every token's products
    /// are those a batch of one gives, bit for bit (for verifying drafted tokens).
    public func multiply(
        _ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutableRawPointer, decodeArithmetic: Bool = false, parallel: ParallelFor
    ) {
        quantize(x, batch: batch, into: scratch, decodeArithmetic: decodeArithmetic, parallel: parallel)
        parallel(taskCount) { task in run(task, UnsafeRawPointer(scratch), batch: batch, decodeArithmetic: decodeArithmetic, into: y) }
    }

    /// Tokens of a batch that take llama.cpp's matrix kernel (the first ones); the rest,
    /// or all with `decodeArithmetic`, take its vector dot product. The tiles of
    /// `multiplyRows` compute that dot product's lanes for any number of tokens.
    @inline(__always)
    private func batchKernelTokens(_ batch: Int, _ decodeArithmetic: Bool) -> Int {
        decodeArithmetic ? 0 : kernels.batchKernelTokens(batch)
    }

    /// Parallel tasks a product is split into: groups of rows.
    var taskCount: Int { (rows + Self.rowsPerTask - 1) / Self.rowsPerTask }

    /// Rows `task · rowsPerTask ..<` of y = W·x.
    @inline(__always)
    func run(
        _ task: Int, _ activations: UnsafeRawPointer, batch: Int, decodeArithmetic: Bool, into y: UnsafeMutablePointer<Float>
    ) {
        let activationRowBytes = self.activationRowBytes
        let batchKernelTokens = batchKernelTokens(batch, decodeArithmetic)
        let first = task * Self.rowsPerTask, end = min(first + Self.rowsPerTask, rows)
        // Tiles of rows: each activation block serves all the rows of a tile, and the rows
        // stay in cache from one token to the next.
        let rowsPerTile = decodeArithmetic ? 4 : kernels.tileRows(batch)
        var row = first
        while row + 4 <= end {
            let rows = row + rowsPerTile <= end ? rowsPerTile : 4
            func tile(_ tokens: Range<Int>) -> RowTile {
                RowTile(
                    rows: rows, weights: data + row * rowBytes, rowBytes: rowBytes, activations: activations,
                    activationRowBytes: activationRowBytes, tokens: tokens, blocks: columns / kernels.blockLength,
                    y: y + row, outputStride: self.rows)
            }
            if batchKernelTokens > 0 { kernels.multiplyRowsBatch(tile(0..<batchKernelTokens)) }
            if batchKernelTokens < batch { kernels.multiplyRows(tile(batchKernelTokens..<batch)) }
            row += rows
        }
        for row in row..<end {
            let weights = data + row * rowBytes
            for b in 0..<batch {
                let activation = activations + b * activationRowBytes
                y[b * rows + row] = b < batchKernelTokens
                    ? kernels.batchDotRow(weights, activation, columns) : kernels.dotRow(weights, activation, columns)
            }
        }
    }

    /// y_i = W_i·x for two or three matrices with the same input x ([batch × columns]):
    /// Q, K and V, or gate and up. The input is quantized once per distinct weight type,
    /// and the rows of all of them go to the pool in one call: one barrier instead of one
    /// per matrix. `scratch` holds 3 slots of
    /// `slotBytes` (batch × the widest quantized row).
    static func multiply(
        _ a: WeightMatrix, into ya: UnsafeMutablePointer<Float>,
        _ b: WeightMatrix, into yb: UnsafeMutablePointer<Float>,
        _ c: WeightMatrix? = nil, into yc: UnsafeMutablePointer<Float>? = nil,
        input x: UnsafePointer<Float>, batch: Int, scratch: UnsafeMutableRawPointer, slotBytes: Int,
        decodeArithmetic: Bool = false, parallel: ParallelFor
    ) {
        // Which scratch slot holds each matrix's quantized input.
        let slotB = b.type == a.type ? 0 : 1
        let slotC = c.map { $0.type == a.type ? 0 : $0.type == b.type ? slotB : slotB + 1 } ?? 0
        let slots = max(slotB, slotC) + 1
        for slot in 0..<slots {
            let matrix = slot == 0 ? a : slot == slotB ? b : c!
            matrix.quantize(x, batch: batch, into: scratch + slot * slotBytes, decodeArithmetic: decodeArithmetic, parallel: parallel)
        }
        let (tasksA, tasksB) = (a.taskCount, b.taskCount)
        let tasks = tasksA + tasksB + (c?.taskCount ?? 0)
        let activations = UnsafeRawPointer(scratch)
        parallel(tasks) { task in
            if task < tasksA {
                a.run(task, activations, batch: batch, decodeArithmetic: decodeArithmetic, into: ya)
            } else if task < tasksA + tasksB {
                b.run(task - tasksA, activations + slotB * slotBytes, batch: batch, decodeArithmetic: decodeArithmetic, into: yb)
            } else {
                c!.run(task - tasksA - tasksB, activations + slotC * slotBytes, batch: batch, decodeArithmetic: decodeArithmetic, into: yc!)
            }
        }
    }

    /// Row `row` as floats (an embedding lookup): out: [columns].
    public func dequantizeRow(_ row: Int, into out: UnsafeMutablePointer<Float>) {
        kernels.dequantizeRow(data + row * rowBytes, out, columns)
    }
}
