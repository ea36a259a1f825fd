import Foundation
import Swiftlet
import SwiftletCore
import Testing

/// The GPU backend (the WGSL kernels through wgpu-native) against the CPU engine, end to end.
/// It runs where `SWIFTLET_GPU_TESTS=1`: scripts/test's gpu stage sets it after fetching the
/// WebGPU library, on lavapipe (Mesa's CPU Vulkan) in CI. Elsewhere the suite is skipped,
/// since a machine without the library or an adapter cannot run it.
///
/// The GPU multiplies f32 activations where the CPU first rounds them to 8 bits (as
/// llama.cpp does), so the two agree closely but not bit for bit. They are held to the
/// yardstick ModelFidelityTests uses for builds that cannot match llama.cpp bit for bit: how
/// far llama.cpp strays from itself between its batched and one-token evaluations of the
/// same tokens (scripts/measure-llamacpp-consistency): top-1 agreement within 2 points of
/// its own, mean KL at most twice its own, greedy continuations parting only at a near-tie
/// closer than its largest disagreeing margin.
private let gpuTestsEnabled = ProcessInfo.processInfo.environment["SWIFTLET_GPU_TESTS"] == "1"

extension RealModels {
    @Suite(.enabled(if: gpuTestsEnabled)) struct GPUAgreementTests {
        static let pool = ThreadPool()
        static let models = ModelFidelityTests.models

        static func yardstick(_ index: Int) throws -> ModelFidelityTests.SelfConsistency.Model {
            try ModelFidelityTests.selfConsistency(models[index].0)
        }

        static func cpuSession(_ model: LoadedModel, contextSize: Int) -> Session {
            Session(model: model.transformer, tokenizer: model.tokenizer, contextSize: contextSize, parallel: pool.parallelFor)
        }

        static func gpuSession(_ model: LoadedModel, _ gpu: GPUModel, contextSize: Int) throws -> Session {
            let device = try gpu.makeForward(contextSize: contextSize, maxBatch: Session.defaultMaxBatch)
            return Session(model: model.transformer, tokenizer: model.tokenizer, contextSize: contextSize, device: device)
        }

        /// Positions the teacher-forced comparison covers: lavapipe runs Gemma 3's 262k-row
        /// vocabulary projection slowly, and 320 positions hold CI's gpu stage to minutes.
        static let forcedPositions = 320

        /// Teacher-forced over 320 tokens of "Botchan": at every position the two backends'
        /// next-token distributions, compared in chunks of 64 positions (so that only one
        /// chunk's CPU logits are held at a time).
        @Test(arguments: [0, 1])
        func teacherForcedDistributionsAgree(_ index: Int) throws {
            let (name, path) = Self.models[index]
            let yardstick = try Self.yardstick(index)
            let model = try LoadedModel(path: try path.get())
            let vocabulary = model.transformer.config.vocabularySize
            var text = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try TestModels.botchan.get())))
            if text.last == 0x0a { text.removeLast() }
            let tokens = Array(text.withUnsafeBytes { model.tokenizer.encode($0, addSpecial: true) }.prefix(Self.forcedPositions + 1))
            try #require(tokens.count == Self.forcedPositions + 1)
            let cpu = Self.cpuSession(model, contextSize: 640)
            let gpu = try Self.gpuSession(model, try GPUModel(model.transformer), contextSize: 640)
            var sameTop = 0, positions = 0
            var totalKL = 0.0, maxDelta: Float = 0
            let chunk = 64
            var cpuLogits = [Float](repeating: 0, count: chunk * vocabulary)  // [chunk × vocabulary]
            for start in stride(from: 0, to: Self.forcedPositions, by: chunk) {
                let piece = Array(tokens[start..<min(start + chunk, Self.forcedPositions)])
                try cpu.evaluate(piece) { position, logits in
                    let row = position * vocabulary
                    cpuLogits.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: row).update(from: logits, count: vocabulary) }
                }
                try gpu.evaluate(piece) { position, gpu in
                    cpuLogits.withUnsafeBufferPointer { all in
                        let cpu = all.baseAddress!.advanced(by: position * vocabulary)
                        sameTop += Sampler.argmax(cpu, count: vocabulary) == Sampler.argmax(gpu, count: vocabulary) ? 1 : 0
                        totalKL += Self.divergence(cpu, gpu, count: vocabulary)
                        for i in 0..<vocabulary { maxDelta = max(maxDelta, abs(cpu[i] - gpu[i])) }
                    }
                    positions += 1
                }
            }
            let agreement = Double(sameTop) / Double(positions)
            let meanKL = totalKL / Double(positions)
            print("gpu: \(name): teacher-forced top-1 agreement \(agreement), mean KL \(meanKL) over \(positions) positions, "
                + "max |Δlogit| \(maxDelta); llama.cpp against itself: \(yardstick.top1_agreement), \(yardstick.mean_kl_full)")
            #expect(positions == Self.forcedPositions)
            #expect(agreement >= yardstick.top1_agreement - 0.02, "\(name): top-1 agreement \(agreement)")
            #expect(meanKL <= 2 * yardstick.mean_kl_full, "\(name): mean KL \(meanKL)")
        }

        /// Up to 64 greedy tokens on each backend. Where the CPU engine's top two are a near-tie
        /// (closer in logits than llama.cpp's largest margin at which it disagrees with itself)
        /// the GPU may take the other; everywhere else it must take the CPU's token. The GPU is
        /// teacher-forced along the CPU's continuation to find each place where it would
        /// differ, and its own greedy run (its argmax kernels, a few bytes read back a token)
        /// must equal the CPU's up to the first of them.
        @Test(arguments: [0, 1])
        func greedyContinuationsAgreeExceptAtNearTies(_ index: Int) throws {
            let (name, path) = Self.models[index]
            let nearTie = Float(try Self.yardstick(index).max_disagreement_margin)
            let model = try LoadedModel(path: try path.get())
            let vocabulary = model.transformer.config.vocabularySize
            let prompt = model.tokenizer.encode("The capital of France is Paris. The capital of Germany is")
            let gpuModel = try GPUModel(model.transformer)
            let cpu = Self.cpuSession(model, contextSize: 256)
            let options = GenerationOptions(maxTokens: 64, sampling: .greedy, speculation: .off)  // logits step by step

            // The CPU's continuation, with its logits' top two at each step.
            var cpuTokens: [Int32] = [], cpuLogits: [[Float]] = [], cpuFinish: FinishReason?
            try cpu.start(prompt: prompt, options: options)
            while let event = try cpu.next() {
                guard case let .token(token, _) = event else {
                    if case let .finished(reason) = event { cpuFinish = reason }
                    continue
                }
                cpuTokens.append(token)
                // The logits the token was chosen from (it is evaluated only on the next call).
                cpuLogits.append(Array(UnsafeBufferPointer(start: try cpu.lastLogits(), count: vocabulary)))
            }
            // The GPU forced along it: where would it choose otherwise, and is that a near-tie?
            var parting: [Int] = [], nearTies = 0
            let forced = try Self.gpuSession(model, gpuModel, contextSize: 256)
            try forced.evaluate(prompt + cpuTokens.dropLast(), logitsFrom: prompt.count - 1) { position, gpu in
                let step = position - (prompt.count - 1)
                let choice = Int(Sampler.argmax(gpu, count: vocabulary))
                guard choice != Int(cpuTokens[step]) else { return }
                parting.append(step)
                let margin = cpuLogits[step][Int(cpuTokens[step])] - cpuLogits[step][choice]
                if margin < nearTie { nearTies += 1 }
            }
            var gpuTokens: [Int32] = []
            let gpu = try Self.gpuSession(model, gpuModel, contextSize: 256)
            try gpu.start(prompt: prompt, options: options)
            while case let .token(token, _)? = try gpu.next() { gpuTokens.append(token) }
            let same = zip(cpuTokens, gpuTokens).prefix { $0 == $1 }.count
            print("gpu: \(name): \(cpuTokens.count) greedy tokens; the GPU would choose otherwise at steps \(parting) (\(nearTies) near-ties); its own run equals the CPU's for \(same)")
            #expect(cpuTokens.count == 64 || cpuFinish == .endOfGeneration, "\(name): the CPU's answer ended with \(String(describing: cpuFinish))")
            #expect(nearTies == parting.count, "\(name): the GPU parts from the CPU at \(parting), not all near-ties")
            #expect(same >= min(parting.first ?? 64, gpuTokens.count), "\(name): the GPU's greedy run parts at \(same) before any near-tie")
            #expect(gpuTokens.count == cpuTokens.count || same < min(gpuTokens.count, cpuTokens.count))
        }

        /// Every architecture's tiny fixture on the GPU against HF transformers, as
        /// ArchitectureTests holds the CPU to them (Gemma 3 is the real model above).
        @Test(arguments: ArchitectureTests.architectures)
        func architecturesMatchTransformersOnTheGPU(_ architecture: String) throws {
            let onGPU: (LoadedModel) throws -> DeviceForward = { model in
                try GPUModel(model.transformer).makeForward(contextSize: 64, maxBatch: 8)
            }
            ArchitectureTests.expectF32Match(architecture, try ArchitectureTests.compare(architecture, "f32", device: onGPU))
            ArchitectureTests.expectQ8_0Close(architecture, try ArchitectureTests.compare(architecture, "q8_0", device: onGPU))
        }

        /// KL(p ‖ q) of the softmaxes of two logit rows, in doubles.
        static func divergence(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, count: Int) -> Double {
            func logSumExp(_ x: UnsafePointer<Float>) -> Double {
                var top = -Double.infinity
                for i in 0..<count { top = max(top, Double(x[i])) }
                var sum = 0.0
                for i in 0..<count { sum += Foundation.exp(Double(x[i]) - top) }
                return top + Foundation.log(sum)
            }
            let (lp, lq) = (logSumExp(p), logSumExp(q))
            var kl = 0.0
            for i in 0..<count {
                let a = Double(p[i]) - lp
                kl += Foundation.exp(a) * (a - (Double(q[i]) - lq))
            }
            return kl
        }
    }
}
