import CWebGPU
import SwiftletCore

/// A model's weights on a GPU, shared by its sessions: every matrix of the forward plan,
/// uploaded once as the file stores it, split into chunks of whole rows where it is larger
/// than one binding may be. The matrices of a grouped product (a layer's q, k, v; gate, up)
/// are stacked into one buffer where they fit one binding, for one dispatch instead of
/// several. Used from one thread at a time (a model's inference thread).
public final class GPUModel: @unchecked Sendable {
    let device: GPUDevice
    let kernels: GPUKernels
    let transformer: Transformer
    /// Per matrix (by the address of its bytes, so a tied embedding is uploaded once).
    private var chunks: [UnsafeRawPointer: [WeightChunk]] = [:]
    /// Per grouped product (by its first matrix's bytes): the matrices' bytes one after another.
    private var stacks: [UnsafeRawPointer: GPUBuffer] = [:]
    /// Bytes uploaded since the last submit: staged writes are held until one.
    private var pending = 0
    public var adapter: GPUAdapterInfo { device.adapter }

    struct WeightChunk {
        let buffer: GPUBuffer
        let firstRow: Int
        let rows: Int
    }

    /// Opens the GPU and uploads `transformer`'s weights. Throws when there is no library or
    /// adapter, a format has no kernels, or the model does not fit.
    public init(_ transformer: Transformer) throws(GPUError) {
        device = try GPUDevice()
        kernels = GPUKernels(device: device)
        self.transformer = transformer
        for step in transformer.plan(contextSize: 1, maxBatch: 1).steps {
            let matrices: [WeightMatrix]
            switch step {
            case let .embed(m, _), let .logits(m): matrices = [m]
            case let .multiply(ms, _, _): matrices = ms
            default: continue
            }
            for matrix in matrices where !GPUKernels.supports(matrix.type) {
                throw .modelTooLarge("\(matrix.name) is \(matrix.type.name): the GPU backend has no kernels for it")
            }
            if matrices.count > 1, let stack = try stack(matrices) {
                stacks[matrices[0].bytes.baseAddress!] = stack
                continue
            }
            for matrix in matrices where chunks[matrix.bytes.baseAddress!] == nil {
                chunks[matrix.bytes.baseAddress!] = try upload(matrix)
            }
        }
        try device.finish()
    }

    var bindingLimit: Int { Int(min(device.adapter.maxStorageBufferBindingSize, device.adapter.maxBufferSize)) }

    /// Uploads `bytes` at `offset` of `buffer`, submitting now and then to bound what is staged.
    private func write(_ buffer: GPUBuffer, offset: Int = 0, _ bytes: UnsafeRawBufferPointer) throws(GPUError) {
        device.write(buffer, offset: offset, bytes)
        pending += bytes.count
        if pending > 256 << 20 {
            try device.finish()
            pending = 0
        }
    }

    private func upload(_ matrix: WeightMatrix) throws(GPUError) -> [WeightChunk] {
        let rowsPerChunk = bindingLimit / matrix.rowBytes / 64 * 64
        guard rowsPerChunk > 0 else {
            throw .modelTooLarge("a row of \(matrix.name) (\(matrix.rowBytes) bytes) exceeds the adapter's binding limit of \(bindingLimit) bytes")
        }
        var result: [WeightChunk] = []
        var first = 0
        while first < matrix.rows {
            let rows = min(rowsPerChunk, matrix.rows - first)
            let bytes = UnsafeRawBufferPointer(rebasing: matrix.bytes[(first * matrix.rowBytes)..<((first + rows) * matrix.rowBytes)])
            let buffer = try device.buffer(bytes: bytes.count, kind: SLBufferStorage, label: matrix.name)
            try write(buffer, bytes)
            result.append(WeightChunk(buffer: buffer, firstRow: first, rows: rows))
            first += rows
        }
        return result
    }

    /// The matrices one after another in one buffer, or nil where they exceed one binding (or
    /// a matrix's size is not a multiple of 4, which a buffer write needs): then each is
    /// uploaded alone.
    private func stack(_ matrices: [WeightMatrix]) throws(GPUError) -> GPUBuffer? {
        let total = matrices.reduce(0) { $0 + $1.bytes.count }
        guard total <= bindingLimit, matrices.allSatisfy({ $0.bytes.count % 4 == 0 }) else { return nil }
        let buffer = try device.buffer(bytes: total, kind: SLBufferStorage, label: matrices.map(\.name).joined(separator: "+"))
        var offset = 0
        for matrix in matrices {
            try write(buffer, offset: offset, matrix.bytes)
            offset += matrix.bytes.count
        }
        return buffer
    }

    func chunks(of matrix: WeightMatrix) -> [WeightChunk] { chunks[matrix.bytes.baseAddress!]! }

    /// The stacked buffer of a grouped product, if it was stacked.
    func stack(of matrices: [WeightMatrix]) -> GPUBuffer? {
        matrices.count > 1 ? stacks[matrices[0].bytes.baseAddress!] : nil
    }

    /// A session's forward pass on this GPU: its own activations and cache of keys and values.
    public func makeForward(contextSize: Int, maxBatch: Int) throws(GPUError) -> DeviceForward {
        try makeSession(contextSize: contextSize, maxBatch: maxBatch).device
    }

    /// `makeForward`, with the session behind it (for its figures).
    func makeSession(contextSize: Int, maxBatch: Int) throws(GPUError) -> (session: GPUSession, device: DeviceForward) {
        let session = try GPUSession(model: self, plan: transformer.plan(contextSize: contextSize, maxBatch: maxBatch))
        let device = DeviceForward(
            logitRows: session.logitRows,
            run: { (tokens, start, logitsFrom) throws(EngineError) in
                do throws(GPUError) { try session.run(tokens, start: start, logitsFrom: logitsFrom) } catch { throw .device(error.description) }
            },
            lastArgmax: { session.lastArgmax },
            logits: { (row) throws(EngineError) in
                do throws(GPUError) { return try session.logits(row: row) } catch { throw .device(error.description) }
            })
        return (session, device)
    }
}
