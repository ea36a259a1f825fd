import CWebGPU
import SwiftletCore

/// A model's weights on a GPU, shared by its sessions: every matrix of the forward plan,
/// uploaded once as the file stores it, split into chunks of whole rows where it is larger
/// than one binding may be. Used from one thread at a time (a model's inference thread).
public final class GPUModel: @unchecked Sendable {
    let device: GPUDevice
    let kernels: GPUKernels
    let transformer: Transformer
    /// Per matrix (by the address of its bytes, so a tied embedding is uploaded once).
    private var chunks: [UnsafeRawPointer: [WeightChunk]] = [:]
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
        var pending = 0
        for step in transformer.plan(contextSize: 1, maxBatch: 1).steps {
            let matrix: WeightMatrix
            switch step {
            case let .embed(m, _), let .multiply(m, _, _), let .logits(m): matrix = m
            default: continue
            }
            guard GPUKernels.supports(matrix.type) else {
                throw .modelTooLarge("\(matrix.name) is \(matrix.type.name): the GPU backend has no kernels for it")
            }
            let key = matrix.bytes.baseAddress!
            if chunks[key] != nil { continue }
            chunks[key] = try upload(matrix)
            pending += matrix.bytes.count
            // Staged writes are held until a submit: bound what is in flight.
            if pending > 256 << 20 {
                try device.finish()
                pending = 0
            }
        }
        try device.finish()
    }

    private func upload(_ matrix: WeightMatrix) throws(GPUError) -> [WeightChunk] {
        let limit = Int(min(device.adapter.maxStorageBufferBindingSize, device.adapter.maxBufferSize))
        let rowsPerChunk = limit / matrix.rowBytes / 64 * 64
        guard rowsPerChunk > 0 else {
            throw .modelTooLarge("a row of \(matrix.name) (\(matrix.rowBytes) bytes) exceeds the adapter's binding limit of \(limit) bytes")
        }
        var result: [WeightChunk] = []
        var first = 0
        while first < matrix.rows {
            let rows = min(rowsPerChunk, matrix.rows - first)
            let bytes = UnsafeRawBufferPointer(rebasing: matrix.bytes[(first * matrix.rowBytes)..<((first + rows) * matrix.rowBytes)])
            let buffer = try device.buffer(bytes: bytes.count, kind: SLBufferStorage, label: matrix.name)
            device.write(buffer, bytes)
            result.append(WeightChunk(buffer: buffer, firstRow: first, rows: rows))
            first += rows
        }
        return result
    }

    func chunks(of matrix: WeightMatrix) -> [WeightChunk] { chunks[matrix.bytes.baseAddress!]! }

    /// A session's forward pass on this GPU: its own activations and cache of keys and values.
    public func makeForward(contextSize: Int, maxBatch: Int) throws(GPUError) -> DeviceForward {
        let session = try GPUSession(model: self, plan: transformer.plan(contextSize: contextSize, maxBatch: maxBatch))
        return DeviceForward(
            run: { (tokens, start, logitsFrom) throws(EngineError) in
                do throws(GPUError) { try session.run(tokens, start: start, logitsFrom: logitsFrom) } catch { throw .device(error.description) }
            },
            lastArgmax: { session.lastArgmax },
            logits: { (row) throws(EngineError) in
                do throws(GPUError) { return try session.logits(row: row) } catch { throw .device(error.description) }
            })
    }
}
