import Foundation

/// The real models (and a text to measure them on), fetched once through scripts/fetch-models (which caches and verifies
/// them) the first time a test asks.
enum TestModels {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let smolLM2 = Result { try path(of: "smollm2") }
    static let gemma3 = Result { try path(of: "gemma3") }
    /// "Botchan" (Project Gutenberg), the text llama-perplexity figures here are measured on.
    static let botchan = Result { try path(of: "botchan") }
    /// A Python with the official `openai` client (and selenium): scripts/test-python's venv,
    /// made on first use, unless SWIFTLET_TEST_PYTHON names one.
    static let python = Result {
        if let python = ProcessInfo.processInfo.environment["SWIFTLET_TEST_PYTHON"] { return python }
        return try output(of: "scripts/test-python", [])
    }

    /// The real models the engine tests run on, by file name, as their llama.cpp references name them.
    static let both = [("SmolLM2-135M-Instruct.Q4_1.gguf", smolLM2), ("gemma-3-270m-q4_k_m.gguf", gemma3)]

    /// What a script of the test Python printed, and how it ended.
    struct ScriptRun {
        let status: Int32
        let output: String
        let errors: String
    }

    /// Runs Tests/Scripts/`script` with the test Python (see `python`), both pipes read to the
    /// end while it runs (so a chatty script never blocks on a full one).
    static func runPython(_ script: String, _ arguments: [String]) async throws -> ScriptRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try python.get())
        process.arguments = [repositoryRoot.appendingPathComponent("Tests/Scripts/\(script)").path] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read on Dispatch's threads: blocking two of Swift concurrency's few (2 on a 2-core
        // machine) would starve a server running in this process, which the script talks to.
        async let printed = readToEnd(output)
        async let complained = readToEnd(errors)
        let (out, err) = await (printed, complained)
        process.waitUntilExit()  // both pipes closed: it has ended or is ending
        return ScriptRun(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
                         errors: String(decoding: err, as: UTF8.self))
    }

    private static func readToEnd(_ pipe: Pipe) async -> Data {
        await withCheckedContinuation { done in
            DispatchQueue.global().async { done.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile()) }
        }
    }

    struct FetchFailed: Error, CustomStringConvertible {
        let description: String
    }

    private static func path(of name: String) throws -> String { try output(of: "scripts/fetch-models", [name]) }

    /// The trimmed standard output of one of the repository's scripts.
    private static func output(of script: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = repositoryRoot.appendingPathComponent(script)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !text.isEmpty else {
            throw FetchFailed(description: "\(script) \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
        }
        return text
    }
}
