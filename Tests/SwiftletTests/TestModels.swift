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
