import ArgumentParser
import Foundation
import Swiftlet
import SwiftletCore

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a model: size, load time, time to first token, prefill and decode speed, memory.")

    @OptionGroup var model: ModelOptions

    @Option(help: "Threads to use (default: all cores).")
    var threads = ThreadPool.defaultThreadCount

    @Option(name: .shortAndLong, help: "Repetitions of each measurement.")
    var repetitions = 3

    @Option(name: [.customShort("p"), .long], parsing: .upToNextOption, help: "Prompt lengths to prefill.")
    var promptLengths = [128, 512]

    @Option(name: [.customShort("n"), .long], help: "Tokens to decode.")
    var generate = 128

    @Option(help: "Where the forward passes run: cpu, gpu (WebGPU), or auto (both measured briefly, the faster kept).")
    var backend = Backend.cpu

    @Option(help: "Instead, decode speed with speculation on and off over the tasks in this JSON file (scripts/speculation-tasks.json), -n tokens each.")
    var speculationTasks: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let path = try await model.resolvePath()
        if let speculationTasks { return try speculation(path: path, tasks: speculationTasks) }
        var settings = Benchmark.Settings()
        settings.threads = threads
        settings.repetitions = repetitions
        settings.promptLengths = promptLengths
        settings.generatedTokens = generate
        settings.backend = backend
        if backend == .auto {
            let loaded = try LoadedModel(path: path)
            let choice = try await backend.open(loaded, pool: ThreadPool(threadCount: threads)).choice
            if !json, let note = choice.note { FileHandle.standardError.write(Data("bench: \(note)\n".utf8)) }
            settings.backend = choice.backend
        }
        let result: Benchmark.Result
        do {
            result = try Benchmark(settings: settings).run(path: path) { step in
                if !json { FileHandle.standardError.write(Data("bench: \(step)…\n".utf8)) }
            }
        } catch { throw CLIError("\(error)") }
        print(json ? Self.json(result).rendered(indent: 1) : Self.table(result))
    }

    private func speculation(path: String, tasks file: String) throws {
        let tasks: [SpeculationBenchmark.Task]
        do {
            tasks = try JSONDecoder().decode([SpeculationBenchmark.Task].self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        } catch { throw CLIError("\(file): not a task list (\(error))") }
        var bench = SpeculationBenchmark()
        bench.threads = threads
        bench.maxTokens = generate
        bench.repetitions = repetitions
        let rows: [SpeculationBenchmark.Row]
        do {
            rows = try bench.run(path: path, tasks: tasks) { name in
                if !json { FileHandle.standardError.write(Data("bench: \(name)…\n".utf8)) }
            }
        } catch { throw CLIError("\(error)") }
        print(json ? Self.json(rows).rendered(indent: 1) : Self.table(rows))
    }

    static func json(_ rows: [SpeculationBenchmark.Row]) -> JSON {
        .array(rows.map { row in
            .object([
                ("task", .string(row.task.name)), ("kind", .string(row.task.kind)),
                ("generated_tokens", .int(Int64(row.generatedTokens))), ("off_tokens_per_second", .double(row.plain)),
                ("modes", .array(row.modes.map { mode in
                    .object([
                        ("speculation", .string(mode.speculation.defaultValueDescription)),
                        ("tokens_per_second", .double(mode.tokensPerSecond)), ("speedup", .double(mode.tokensPerSecond / row.plain)),
                        ("drafted", .int(Int64(mode.drafted))), ("accepted", .int(Int64(mode.accepted))),
                        ("identical", .bool(mode.identical)),
                    ])
                })),
            ])
        })
    }

    static func table(_ rows: [SpeculationBenchmark.Row]) -> String {
        var lines = ["task          kind       tokens   off t/s   " + (rows.first?.modes ?? []).map {
            "\($0.speculation.defaultValueDescription): speedup  accepted/drafted  same"
        }.joined(separator: "   ")]
        for row in rows {
            let modes = row.modes.map { mode in
                String(format: "%@       %5.2f×  %8d/%-7d  %@", mode.speculation.defaultValueDescription, mode.tokensPerSecond / row.plain,
                       mode.accepted, mode.drafted, mode.identical ? "yes" : "NO")
            }
            lines.append(row.task.name.padding(toLength: 14, withPad: " ", startingAt: 0)
                + row.task.kind.padding(toLength: 9, withPad: " ", startingAt: 0)
                + String(format: "%6d  %8.1f   ", row.generatedTokens, row.plain) + modes.joined(separator: "   "))
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ r: Benchmark.Result) -> JSON {
        func sample(_ s: Benchmark.Sample) -> JSON {
            .object([("median", .double(s.median)), ("min", .double(s.min)), ("max", .double(s.max)), ("values", .array(s.values.map(JSON.double)))])
        }
        return .object([
            ("model", .string(r.path)),
            ("architecture", .string(r.architecture)),
            ("quantization", .string(r.quantization)),
            ("parameters", .int(Int64(r.parameters))),
            ("file_size", .int(Int64(r.fileSize))),
            ("threads", .int(Int64(r.threads))),
            ("backend", .string(r.backend)),
            ("dispatches_per_token", r.dispatchesPerToken.map { .int(Int64($0)) } ?? .null),
            ("instruction_set", .string(InstructionSet.compiled.name)),
            ("load_cold_seconds", sample(r.coldLoad)),
            ("load_warm_seconds", sample(r.warmLoad)),
            ("time_to_first_token_seconds", sample(r.timeToFirstToken)),
            ("question_tokens", .int(Int64(r.questionTokens))),
            ("prefill_tokens_per_second", .object(r.prefill.map { ("pp\($0.tokens)", sample($0.speed)) })),
            ("decode_tokens_per_second", .object([("tg\(r.decodeTokens)", sample(r.decode))])),
            ("peak_resident_bytes", .int(Int64(r.peakResidentBytes))),
        ])
    }

    private static func device(_ r: Benchmark.Result) -> String {
        if let dispatches = r.dispatchesPerToken { return "\(r.backend), \(dispatches) dispatches a token" }
        return "CPU (\(InstructionSet.compiled.name)), \(r.threads) thread\(r.threads == 1 ? "" : "s")"
    }

    static func table(_ r: Benchmark.Result) -> String {
        func row(_ label: String, _ s: Benchmark.Sample, _ format: String, scale: Double = 1, unit: String) -> [String] {
            [label, String(format: format, s.median * scale), String(format: format + " – " + format, s.min * scale, s.max * scale), unit]
        }
        var rows: [[String]] = [
            ["", "median", "range", ""],
            row("load, cold cache", r.coldLoad, "%.1f", scale: 1000, unit: "ms"),
            row("load, warm cache", r.warmLoad, "%.1f", scale: 1000, unit: "ms"),
            row("time to first token (\(r.questionTokens)-token question)", r.timeToFirstToken, "%.1f", scale: 1000, unit: "ms"),
        ]
        rows += r.prefill.map { row("prefill pp\($0.tokens)", $0.speed, "%.1f", unit: "tokens/s") }
        rows.append(row("decode tg\(r.decodeTokens)", r.decode, "%.1f", unit: "tokens/s"))
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max()! }
        let header = """
            \(r.path)
            \(r.architecture), \(r.quantization), \(String(format: "%.1f", Double(r.parameters) / 1e6))M parameters, \
            \(ByteCount(Int64(r.fileSize))) on disk; \(device(r)); \
            peak memory \(ByteCount(Int64(r.peakResidentBytes)))

            """
        return header + rows.map { cells in
            cells.enumerated().map { column, cell in
                column == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "   ")
        }.joined(separator: "\n")
    }
}
