import Foundation
import CWebGPU
import SwiftletCore

/// One session's forward pass on the GPU: the plan's steps turned into dispatches over
/// this session's buffers, recorded per forward pass into a few command buffers submitted
/// as they fill (no wait between them), and a few bytes read back at the end (the greedy
/// token) unless logits are asked for.
final class GPUSession {
    let model: GPUModel
    let plan: ForwardPlan
    private var device: GPUDevice { model.device }
    private let config: ModelConfig
    private let activations: [PlanBuffer: GPUBuffer]  // each [maxBatch × width]
    private let logitsBuffer: GPUBuffer                // [logitRows × vocab]
    /// The most rows of logits a pass keeps: maxBatch, or fewer where that exceeds a binding.
    let logitRows: Int
    private let tokens: GPUBuffer                      // u32 [maxBatch]
    private let keyCaches: [GPUBuffer]                 // per layer [capacity × kv width]
    private let valueCaches: [GPUBuffer]
    private let step: GPUBuffer                        // uniform Step {tokens, start, 0, 0}
    private var params: GPUBuffer!                     // uniform, one 256-byte slot per dispatch
    private let argmaxPartials: GPUBuffer              // u32 [2 × blocks]
    private let argmaxResult: GPUBuffer                // u32 [index, value bits]
    private let argmaxReadback: GPUBuffer
    private let logitsReadback: GPUBuffer              // [vocab]
    private let hostLogits: UnsafeMutablePointer<Float>  // [vocab]
    private let argmaxHost: UnsafeMutablePointer<UInt32>  // [index, value bits]
    private var keep: [GPUBuffer] = []                 // norm weights, biases: alive with the bind groups
    private var dispatches: [Dispatch] = []
    /// Dispatches recorded but not bound yet: the params buffer is made once all are known.
    private var recorded: [(kernel: GPUKernel, words: [UInt32], storage: [GPUBuffer], size: Size, dynamicParams: DynamicParams?)] = []
    private(set) var lastArgmax: Int32 = 0
    /// The passes's token count and first row of kept logits, for `logits(row:)`.
    private var lastPass = (tokens: 0, logitsFrom: 0)
    /// The (tokens, first kept row) the dynamic params were last written for.
    private var paramsShape = (0, -1)

    static let slotBytes = 256

    /// Workgroups for a pass of n tokens keeping logits from row `first`; nil: skipped.
    private typealias Size = (_ n: Int, _ first: Int) -> (Int, Int, Int)?
    /// Params that depend on the pass (the logits rows), written before it runs.
    private typealias DynamicParams = (_ n: Int, _ first: Int) -> [UInt32]

    private struct Dispatch {
        let kernel: GPUKernel
        let group: UnsafeMutableRawPointer
        let slot: Int
        let size: Size
        let dynamicParams: DynamicParams?
    }

    init(model: GPUModel, plan: ForwardPlan) throws(GPUError) {
        self.model = model
        self.plan = plan
        let c = plan.config
        config = c
        let device = model.device
        let batch = plan.maxBatch
        func floats(_ count: Int, _ label: String) throws(GPUError) -> GPUBuffer {
            try device.buffer(bytes: 4 * count, kind: SLBufferStorage, label: label)
        }
        var activations: [PlanBuffer: GPUBuffer] = [:]
        for buffer in PlanBuffer.allCases { activations[buffer] = try floats(batch * buffer.width(c), "\(buffer)") }
        self.activations = activations
        logitRows = max(1, min(batch, model.bindingLimit / (4 * c.vocabularySize)))
        logitsBuffer = try floats(logitRows * c.vocabularySize, "logits")
        tokens = try device.buffer(bytes: 4 * batch, kind: SLBufferStorage, label: "tokens")
        var keys: [GPUBuffer] = [], values: [GPUBuffer] = []
        for (layer, capacity) in plan.cacheCapacity.enumerated() {
            keys.append(try floats(capacity * c.kvWidth, "keys \(layer)"))
            values.append(try floats(capacity * c.kvWidth, "values \(layer)"))
        }
        keyCaches = keys
        valueCaches = values
        step = try device.buffer(bytes: 16, kind: SLBufferUniform, label: "step")
        argmaxPartials = try device.buffer(bytes: 8 * (c.vocabularySize / 256 + 1), kind: SLBufferStorage, label: "argmax blocks")
        argmaxResult = try device.buffer(bytes: 8, kind: SLBufferStorage, label: "argmax")
        argmaxReadback = try device.buffer(bytes: 8, kind: SLBufferReadback, label: "argmax readback")
        logitsReadback = try device.buffer(bytes: 4 * c.vocabularySize, kind: SLBufferReadback, label: "logits readback")
        hostLogits = .allocate(capacity: c.vocabularySize)
        argmaxHost = .allocate(capacity: 2)
        for planStep in plan.steps { try record(planStep) }
        try recordArgmax()
        try bind()
        try device.finish()
    }

    /// Writes every recorded dispatch's Params into one uniform buffer, a slot each, and
    /// makes the bind groups.
    private func bind() throws(GPUError) {
        let params = try device.buffer(bytes: Self.slotBytes * recorded.count, kind: SLBufferUniform, label: "params")
        self.params = params
        let slotWords = Self.slotBytes / 4
        var words = [UInt32](repeating: 0, count: slotWords * recorded.count)
        for (slot, r) in recorded.enumerated() {
            words.replaceSubrange((slot * slotWords)..<(slot * slotWords + r.words.count), with: r.words)
        }
        device.write(params, words)
        for (slot, r) in recorded.enumerated() {
            let bindings = [whole(step), (params, slot * Self.slotBytes, Self.slotBytes)] + r.storage.map(whole)
            let group = try device.bindGroup(r.kernel.pipeline, bindings)
            dispatches.append(Dispatch(kernel: r.kernel, group: group, slot: slot, size: r.size, dynamicParams: r.dynamicParams))
        }
        recorded = []
    }

    deinit {
        dispatches.forEach { slgpu_release_bind_group(device.handle, $0.group) }
        hostLogits.deallocate()
        argmaxHost.deallocate()
    }

    // MARK: Recording the plan

    private func vector(_ values: [Float]?, _ label: String) throws(GPUError) -> GPUBuffer {
        let values = values ?? [0]
        let buffer = try device.buffer(bytes: 4 * values.count, kind: SLBufferStorage, label: label)
        device.write(buffer, values)
        keep.append(buffer)
        return buffer
    }

    private func whole(_ buffer: GPUBuffer) -> (GPUBuffer, Int, Int) { (buffer, 0, buffer.bytes) }

    /// Records a dispatch of `kernel` over `storage` (bindings 2, …) with `words` as its Params.
    private func add(
        _ kernel: GPUKernel, params words: [UInt32], storage: [GPUBuffer], size: @escaping Size, dynamicParams: DynamicParams? = nil
    ) {
        recorded.append((kernel, words, storage, size, dynamicParams))
    }

    private static func bits(_ value: Float) -> UInt32 { value.bitPattern }

    /// Workgroups for `groups` split over x and y as the kernels expect.
    private static func split(_ groups: Int, z: Int) -> (Int, Int, Int)? {
        guard groups > 0, z > 0 else { return nil }
        let x = min(groups, 65535)
        return (x, (groups + x - 1) / x, z)
    }

    private func record(_ planStep: PlanStep) throws(GPUError) {
        let c = config
        let d = c.embeddingLength
        let eps = Self.bits(c.rmsEpsilon)
        switch planStep {
        case let .embed(table, scale):
            for chunk in model.chunks(of: table) {
                let kernel = try model.kernels.kernel("embed", format: table.type)
                let valuesPerWorkgroup = 8 * (try kernel.constant("WORKGROUP_SIZE"))
                let groups = (table.columns + valuesPerWorkgroup - 1) / valuesPerWorkgroup
                add(kernel, params: [UInt32(table.columns), UInt32(table.rowBytes), UInt32(chunk.firstRow), UInt32(chunk.rows), Self.bits(scale)],
                        storage: [chunk.buffer, tokens, activations[.x]!], size: { n, _ in (groups, n, 1) })
            }
        case let .rmsNorm(input, weight, output):
            add(try model.kernels.kernel("rms_norm"), params: [UInt32(input.width(c)), eps],
                    storage: [activations[input]!, try vector(weight, "norm"), activations[output]!], size: { n, _ in (n, 1, 1) })
        case let .multiply(matrices, input, outputs):
            if let stack = model.stack(of: matrices) {
                try recordStackedProduct(matrices, stack, input: activations[input]!, outputs: outputs.map { activations[$0]! })
            } else {
                for (matrix, output) in zip(matrices, outputs) {
                    try recordProduct(matrix, input: activations[input]!, output: activations[output]!, logits: false)
                }
            }
        case let .rotateAndStore(r):
            let flags = (r.queryNorm != nil ? 1 : 0) | (r.keyNorm != nil ? 2 : 0) | (r.biases != nil ? 4 : 0)
            let hd = c.headDimension
            let norms = (r.queryNorm ?? [Float](repeating: 1, count: hd)) + (r.keyNorm ?? [Float](repeating: 1, count: hd))
            let heads = c.headCount + c.kvHeadCount
            add(try model.kernels.kernel("rope_kv"),
                    params: [UInt32(c.headCount), UInt32(c.kvHeadCount), UInt32(hd), UInt32(r.ropeDimensions),
                             r.ropeStyle == .interleaved ? 0 : 1, Self.bits(r.thetaScale), Self.bits(c.queryScale), eps,
                             UInt32(flags), UInt32(plan.cacheCapacity[r.layer])],
                    storage: [activations[.q]!, activations[.k]!, activations[.v]!, try vector(norms, "head norms"),
                              try vector(r.biases, "biases"), keyCaches[r.layer], valueCaches[r.layer]],
                    size: { n, _ in (heads, n, 1) })
        case let .attend(layer, window):
            let heads = c.headCount
            add(try model.kernels.kernel("attention"),
                    params: [UInt32(c.headCount), UInt32(c.kvHeadCount), UInt32(c.headDimension), UInt32(plan.cacheCapacity[layer]),
                             UInt32(window ?? 0), Self.bits(c.scoreScale), Self.bits(c.attentionLogitSoftcap ?? 0)],
                    storage: [activations[.q]!, keyCaches[layer], valueCaches[layer], activations[.attention]!],
                    size: { n, _ in (heads, n, 1) })
        case let .gatedActivation(activation):
            let kernel = try model.kernels.kernel("glu")
            let workgroup = try kernel.constant("WORKGROUP_SIZE")
            let groups = (c.feedForwardLength + workgroup - 1) / workgroup
            add(kernel, params: [UInt32(c.feedForwardLength), activation == .silu ? 0 : 1],
                    storage: [activations[.gate]!, activations[.up]!], size: { n, _ in (groups, n, 1) })
        case let .residual(delta, postNorm, nextNorm):
            add(try model.kernels.kernel("residual"),
                    params: [UInt32(d), eps, postNorm != nil ? 1 : 0, nextNorm != nil ? 1 : 0],
                    storage: [activations[delta]!, try vector(postNorm, "post norm"), try vector(nextNorm, "next norm"),
                              activations[.x]!, activations[.normed]!],
                    size: { n, _ in (n, 1, 1) })
        case let .logits(matrix):
            try recordProduct(matrix, input: activations[.normed]!, output: logitsBuffer, logits: true)
        }
    }

    /// y = W·x over the matrix's chunks. The logits product runs on the rows from `first`
    /// only.
    private func recordProduct(_ matrix: WeightMatrix, input: GPUBuffer, output: GPUBuffer, logits: Bool) throws(GPUError) {
        let columns = matrix.columns
        for chunk in model.chunks(of: matrix) {
            func words(_ first: Int) -> [UInt32] {
                [UInt32(chunk.rows), UInt32(columns), UInt32(matrix.rowBytes), UInt32(first * columns), UInt32(chunk.firstRow), UInt32(matrix.rows), 0, 0]
            }
            // Tokens the product runs for: the kept rows for the logits, else all.
            try addProduct(format: matrix.type, output: .one, params: words(0), storage: [chunk.buffer, input, output], rows: chunk.rows,
                           tokens: { n, first in logits ? n - first : n }, dynamicParams: logits ? { _, first in words(first) } : nil)
        }
    }

    /// Stacked matrices of one format as one product whose rows go back to `outputs`, a
    /// buffer each (outputs/split.wgsl).
    private func recordStackedProduct(_ matrices: [WeightMatrix], _ stack: GPUBuffer, input: GPUBuffer, outputs: [GPUBuffer]) throws(GPUError) {
        precondition(matrices.count == 2 || matrices.count == 3)
        let rows = matrices.reduce(0) { $0 + $1.rows }
        let splitA = matrices[0].rows
        let splitB = matrices.count == 3 ? splitA + matrices[1].rows : rows
        let words = [UInt32(rows), UInt32(matrices[0].columns), UInt32(matrices[0].rowBytes), 0, 0, 0, UInt32(splitA), UInt32(splitB)]
        // Two matrices: the third output is never written; the second's buffer fills its binding.
        let storage = [stack, input] + outputs + (outputs.count == 2 ? [outputs[1]] : [])
        try addProduct(format: matrices[0].type, output: .split, params: words, storage: storage, rows: rows,
                       tokens: { n, _ in n }, dynamicParams: nil)
    }

    /// Records a product as its two kernels, of which a pass runs one: the decode kernel (one
    /// token a workgroup row) for a few tokens, the tiled one for more.
    private func addProduct(
        format: TensorType, output: GPUKernels.Output, params: [UInt32], storage: [GPUBuffer], rows: Int,
        tokens: @escaping (_ n: Int, _ first: Int) -> Int, dynamicParams: DynamicParams?
    ) throws(GPUError) {
        let vector = try model.kernels.kernel("matvec", format: format, output: output)
        let tiled = try model.kernels.kernel("matmul", format: format, output: output)
        let vectorRows = try vector.constant("ROWS_PER_WORKGROUP")
        let (tileRows, tileTokens) = (try tiled.constant("ROWS_PER_WORKGROUP"), try tiled.constant("TOKENS_PER_WORKGROUP"))
        add(vector, params: params, storage: storage,
                size: { n, first in
                    tokens(n, first) < Self.tiledFrom ? Self.split((rows + vectorRows - 1) / vectorRows, z: tokens(n, first)) : nil
                },
                dynamicParams: dynamicParams)
        add(tiled, params: params, storage: storage,
                size: { n, first in
                    tokens(n, first) >= Self.tiledFrom
                        ? Self.split((rows + tileRows - 1) / tileRows, z: (tokens(n, first) + tileTokens - 1) / tileTokens) : nil
                },
                dynamicParams: dynamicParams)
    }

    /// Command buffers a pass is split into (`SWIFTLET_GPU_SUBMITS` to try others). On an H200,
    /// 8 decoded 5–22 % faster than 1 (the most for the smallest model, where recording the
    /// dispatches weighs most).
    static let submitsPerPass = max(1, Int(ProcessInfo.processInfo.environment["SWIFTLET_GPU_SUBMITS"] ?? "") ?? 8)

    /// Tokens from which a product takes the tiled kernel.
    static let tiledFrom = 4

    private func recordArgmax() throws(GPUError) {
        let vocabulary = config.vocabularySize
        let blocks = try model.kernels.kernel("argmax_blocks")
        let final = try model.kernels.kernel("argmax_final")
        let blockValues = try blocks.constant("BLOCK_VALUES")
        let count = (vocabulary + blockValues - 1) / blockValues
        // The last row of the kept logits.
        let words = { (n: Int, first: Int) -> [UInt32] in [UInt32(vocabulary), UInt32((n - 1 - first) * vocabulary)] }
        add(blocks, params: words(1, 0), storage: [logitsBuffer, argmaxPartials], size: { _, _ in (count, 1, 1) }, dynamicParams: words)
        add(final, params: words(1, 0), storage: [argmaxPartials, argmaxResult], size: { _, _ in (1, 1, 1) }, dynamicParams: words)
    }

    // MARK: Running

    /// Compute dispatches a pass of `tokens` tokens records (logits for the last only).
    func dispatches(tokens: Int) -> Int {
        dispatches.filter { $0.size(tokens, tokens - 1) != nil }.count
    }

    func run(_ batch: UnsafeBufferPointer<Int32>, start: Int, logitsFrom first: Int) throws(GPUError) {
        let n = batch.count
        precondition(n > 0 && n <= plan.maxBatch && first < n && n - first <= logitRows)
        device.write(step, [UInt32(n), UInt32(start), 0, 0])
        device.write(tokens, batch.map { UInt32(bitPattern: $0) })
        // The logits rows' params change only with the pass's shape (each write costs a staging copy).
        if (n, first) != paramsShape {
            for dispatch in dispatches {
                if let dynamic = dispatch.dynamicParams { device.write(params, offset: dispatch.slot * Self.slotBytes, dynamic(n, first)) }
            }
            paramsShape = (n, first)
        }
        // Submitted in a few parts, so that the GPU runs the first while the rest is recorded.
        let part = (dispatches.count + Self.submitsPerPass - 1) / Self.submitsPerPass
        for (index, dispatch) in dispatches.enumerated() {
            if let (x, y, z) = dispatch.size(n, first) { device.dispatch(dispatch.kernel.pipeline, dispatch.group, x, y, z) }
            if (index + 1) % part == 0 && index + 1 < dispatches.count { device.submit() }
        }
        try device.finish(copy: argmaxResult, count: 8, through: argmaxReadback, into: argmaxHost)
        lastArgmax = Int32(bitPattern: argmaxHost[0])
        lastPass = (n, first)
    }

    /// Row `row` of the logits kept by the last pass, read back, with the final soft-cap
    /// applied (the device skips it: it does not change the greedy token).
    func logits(row: Int) throws(GPUError) -> UnsafePointer<Float> {
        let vocabulary = config.vocabularySize
        precondition(row < lastPass.tokens - lastPass.logitsFrom)
        try device.finish(copy: logitsBuffer, offset: 4 * row * vocabulary, count: 4 * vocabulary, through: logitsReadback, into: hostLogits)
        config.capFinalLogits(hostLogits, count: vocabulary)
        return UnsafePointer(hostLogits)
    }
}
