import Foundation
import Testing

extension RealModels {
    /// Structured output (`response_format`) end to end: `swiftlet serve` on each real model, asked
    /// through the official openai client by Tests/Scripts/structured-output.py, which validates
    /// every answer against its case's JSON Schema (Draft 2020-12, formats included) with jsonschema.
    /// `STRUCTURED_CASES=name,name` in the environment runs only those cases.
    @Suite struct StructuredOutputTests {
        /// The cases themselves, without a server: each schema well formed and inside the subset
        /// the server supports, each example valid against its schema.
        @Test func theCasesAreSupportedSchemasWithValidExamples() async throws {
            let run = try await TestModels.runPython("structured-output.py", ["--check-cases"])
            #expect(run.status == 0, "Tests/Scripts/structured-cases.json:\n\(run.output)\(run.errors)")
        }

        @Test(arguments: [0, 1])
        func everyAnswerIsValidAgainstItsSchema(_ index: Int) async throws {
            let (name, path) = TestModels.both[index]
            let server = try await ServeProcess([try path.get(), "--context", "1024"])
            let run = try await TestModels.runPython("structured-output.py", ["http://127.0.0.1:\(server.port)/v1"])
            let running = server.process.isRunning
            try #require(
                run.status == 0,
                """
                \(name): structured-output.py exited \(run.status)\(running ? "" : " (the server is gone)")
                \(run.output)
                \(run.errors)
                swiftlet serve's log:
                \(server.logText.suffix(4000))
                """)
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any], "\(run.output)")
            // serve names a model given by path after its file.
            #expect(summary["model"] as? String == String(name.dropLast(".gguf".count)))
            if ProcessInfo.processInfo.environment["STRUCTURED_CASES"] == nil {
                #expect((summary["cases"] as? Int ?? 0) >= 32)
            }
            // The whole run left the server well: it still stops cleanly.
            kill(server.process.processIdentifier, SIGTERM)
            try await server.expectCleanExit(within: .seconds(30))
        }
    }
}
