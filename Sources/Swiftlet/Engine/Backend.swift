import SwiftletCore

/// Where a model's forward passes run.
public enum Backend: String, Sendable, CaseIterable, Codable {
    /// The core's kernels on the CPU (llama.cpp's arithmetic, bit for bit).
    case cpu
    /// The WGSL kernels through WebGPU (wgpu-native): an error when no GPU can run the model.
    case gpu
    /// Both measured briefly on the loaded model, the faster taken; the CPU when no GPU runs it.
    case auto
}

/// The backend a model ended up on, and why.
public struct BackendChoice: Sendable {
    public let backend: Backend
    /// The GPU adapter, when on the GPU.
    public let adapter: GPUAdapterInfo?
    /// How `auto` decided, or why it fell back to the CPU; nil when the caller chose.
    public let note: String?

    public var summary: String { adapter.map { "gpu: \($0.summary)" } ?? "cpu" }
}

extension Backend {
    /// Opens the GPU for this backend (nil for the CPU), and for `auto` times a few decode
    /// steps on each: a weak GPU can lose to the CPU. `.gpu` throws `GPUError` when no GPU
    /// can run the model; `.auto` falls back to the CPU and says so in the note.
    public func open(_ model: LoadedModel, pool: ThreadPool) async throws -> (gpu: GPUModel?, choice: BackendChoice) {
        if self == .cpu { return (nil, BackendChoice(backend: .cpu, adapter: nil, note: nil)) }
        let gpu: GPUModel
        do {
            gpu = try await onBlockingThread { () throws in try GPUModel(model.transformer) }
        } catch let error as GPUError where self == .auto {
            return (nil, BackendChoice(backend: .cpu, adapter: nil, note: "auto: no GPU (\(error)); running on the CPU"))
        }
        let adapter = gpu.adapter
        if self == .gpu { return (gpu, BackendChoice(backend: .gpu, adapter: adapter, note: nil)) }
        let (cpuRate, gpuRate) = try await onBlockingThread { () throws in
            let cpu = Session(model: model.transformer, tokenizer: model.tokenizer, contextSize: 64, maxBatch: 16, parallel: pool.parallelFor)
            let device = try gpu.makeForward(contextSize: 64, maxBatch: 16)
            let onGPU = Session(model: model.transformer, tokenizer: model.tokenizer, contextSize: 64, maxBatch: 16, device: device)
            return (try Backend.decodeRate(cpu), try Backend.decodeRate(onGPU))
        }
        let figures = "GPU \(Int(gpuRate.rounded())) tokens/s, CPU \(Int(cpuRate.rounded())) tokens/s on this model"
        if gpuRate > cpuRate {
            return (gpu, BackendChoice(backend: .gpu, adapter: adapter, note: "auto: the GPU (\(adapter.summary)) is faster: \(figures)"))
        }
        return (nil, BackendChoice(backend: .cpu, adapter: nil, note: "auto: the CPU is faster than \(adapter.summary): \(figures)"))
    }

    /// Tokens per second of 8 one-token passes after a short prompt.
    private static func decodeRate(_ session: Session) throws -> Double {
        let token = session.tokenizer.vocabulary.bos ?? 0
        try session.append([token, token])
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<8 { try session.append([token]) }
        return 8 / max((clock.now - start).seconds, 1e-9)
    }
}
