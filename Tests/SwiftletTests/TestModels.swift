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

    struct FetchFailed: Error, CustomStringConvertible {
        let description: String
    }

    private static func path(of name: String) throws -> String {
        let process = Process()
        process.executableURL = repositoryRoot.appendingPathComponent("scripts/fetch-models")
        process.arguments = [name]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !path.isEmpty else {
            throw FetchFailed(description: "scripts/fetch-models \(name) failed with status \(process.terminationStatus)")
        }
        return path
    }
}
