#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SwiftletCore

/// `swiftlet bench`: what a user of a model on their device asks (how big, how long to
/// load, how fast it answers), measured as llama-bench measures it so the two compare:
/// prefill of N prompt tokens in one go from an empty cache, decode of N tokens one at a
/// time, each repeated and summarised by its median and range.
public struct Benchmark {
    public struct Settings: Sendable {
        public var threads = ThreadPool.defaultThreadCount
        public var repetitions = 3
        public var promptLengths = [128, 512]
        public var generatedTokens = 128
        /// Prompt tokens evaluated per forward pass.
        public var batch = 512
        public var question = "What is the capital of France?"
        /// `.cpu` or `.gpu` (resolve `.auto` first, with `Backend.open`).
        public var backend = Backend.cpu

        public init() {}
    }

    /// Several measurements of one quantity.
    public struct Sample: Sendable {
        public var values: [Double]
        public var median: Double {
            let sorted = values.sorted()
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        public var min: Double { values.min() ?? .nan }
        public var max: Double { values.max() ?? .nan }
    }

    public struct Result: Sendable {
        public var path: String
        public var architecture: String
        public var quantization: String
        public var parameters: Int
        public var fileSize: Int
        public var threads: Int
        /// "cpu", or "gpu: " and the adapter.
        public var backend: String
        /// Compute dispatches a one-token pass records (on the GPU).
        public var dispatchesPerToken: Int?
        /// Seconds from opening the file to a session ready to evaluate, with the file's pages
        /// dropped from the cache first (on the CPU weights are paged in later, when first
        /// used; the GPU's load includes reading and uploading every weight).
        public var coldLoad: Sample
        public var warmLoad: Sample
        /// Seconds from a chat question to its first answer token.
        public var timeToFirstToken: Sample
        public var questionTokens: Int
        /// Tokens per second, by prompt length.
        public var prefill: [(tokens: Int, speed: Sample)]
        public var decodeTokens: Int
        public var decode: Sample
        /// Peak resident memory of the process, in bytes.
        public var peakResidentBytes: Int
    }

    public let settings: Settings
    public init(settings: Settings) { self.settings = settings }

    public func run(path: String, progress: (String) -> Void = { _ in }) throws -> Result {
        let clock = ContinuousClock()
        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = clock.now
            try body()
            return (clock.now - start).seconds
        }
        let repetitions = 1...max(1, settings.repetitions)

        progress("load")
        let pool = ThreadPool(threadCount: settings.threads)
        let longest = (settings.promptLengths.max() ?? 0) + settings.generatedTokens + 1
        let contextSize = max(longest, 256)
        var adapter: GPUAdapterInfo?, dispatches: Int?
        /// Open, parse and allocate a session (on the GPU: weights uploaded): ready to evaluate.
        func load() throws -> (LoadedModel, Session) {
            let model = try LoadedModel(path: path)
            guard settings.backend == .gpu else {
                let session = Session(
                    model: model.transformer, tokenizer: model.tokenizer, contextSize: contextSize,
                    maxBatch: settings.batch, parallel: pool.parallelFor)
                return (model, session)
            }
            let gpu = try GPUModel(model.transformer)
            let forward = try gpu.makeSession(contextSize: contextSize, maxBatch: settings.batch)
            (adapter, dispatches) = (gpu.adapter, forward.session.dispatches(tokens: 1))
            let session = Session(
                model: model.transformer, tokenizer: model.tokenizer, contextSize: contextSize,
                maxBatch: settings.batch, device: forward.device)
            return (model, session)
        }
        var cold: [Double] = [], warm: [Double] = []
        var loaded: (LoadedModel, Session)!
        for _ in repetitions {
            Self.dropFromPageCache(path)
            cold.append(try seconds { loaded = try load() })
            warm.append(try seconds { loaded = try load() })
        }
        let (model, session) = loaded!
        let summary = ModelSummary(model.file.gguf)

        progress("time to first token")
        let formatter = try? ChatFormatter(model.file.gguf, tokenizer: model.tokenizer)
        let question = try formatter?.tokens([ChatMessage(role: "user", content: settings.question)])
            ?? model.tokenizer.encode(settings.question)
        var firstToken: [Double] = []
        for _ in repetitions {
            session.reset()
            firstToken.append(try seconds {
                try session.start(prompt: question, options: GenerationOptions(maxTokens: 1, sampling: .greedy))
                _ = try session.next()
            })
        }

        let vocabulary = model.transformer.config.vocabularySize
        // Arbitrary but fixed tokens, as llama-bench uses random ones.
        let tokens = (0..<longest).map { Int32(($0 &* 7919 &+ 13) % vocabulary) }
        var prefill: [(Int, Sample)] = []
        for length in settings.promptLengths {
            progress("prefill \(length)")
            var speeds: [Double] = []
            for _ in repetitions {
                session.reset()
                let time = try seconds { try session.append(Array(tokens[..<length])) }
                speeds.append(Double(length) / time)
            }
            prefill.append((length, Sample(values: speeds)))
        }

        progress("decode \(settings.generatedTokens)")
        var decode: [Double] = []
        for _ in repetitions {
            session.reset()
            try session.append([tokens[0]])
            let time = try seconds {
                for token in tokens[1...settings.generatedTokens] { try session.append([token]) }
            }
            decode.append(Double(settings.generatedTokens) / time)
        }

        return Result(
            path: path, architecture: summary.architecture ?? "unknown", quantization: summary.quantization,
            parameters: summary.parameterCount, fileSize: model.file.fileSize, threads: settings.threads,
            backend: adapter.map { "gpu: \($0.summary)" } ?? "cpu", dispatchesPerToken: dispatches,
            coldLoad: Sample(values: cold), warmLoad: Sample(values: warm),
            timeToFirstToken: Sample(values: firstToken), questionTokens: question.count,
            prefill: prefill, decodeTokens: settings.generatedTokens, decode: Sample(values: decode),
            peakResidentBytes: Self.peakResidentBytes())
    }

    /// Asks the kernel to forget the file's cached pages, so the next load reads the disk.
    static func dropFromPageCache(_ path: String) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return }
        fdatasync(descriptor)
        posix_fadvise(descriptor, 0, 0, Int32(POSIX_FADV_DONTNEED))
        close(descriptor)
    }

    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024  // kilobytes on Linux
    }
}
