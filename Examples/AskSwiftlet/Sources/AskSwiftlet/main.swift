import Swiftlet

// Answers one question with a small model, the way an app embeds Swiftlet: find the model
// in the store by name (pulling a known one on first use), load it, stream the answer.
//
//   swift run -c release AskSwiftlet ["question"] [model name]

let arguments = CommandLine.arguments.dropFirst()
let question = arguments.first ?? "What is the capital of France? Answer in one sentence."
let name = arguments.dropFirst().first ?? KnownModel.defaultName

let path = try await ModelStore().modelPath(named: name)
let model = try await LanguageModel(path: path)
for try await piece in model.generateResponseStream(question, options: ResponseOptions(maxTokens: 128, temperature: 0)) {
    print(piece, terminator: "")
}
print()
if let stats = await model.lastResponseStats {
    print("(\(stats.generatedTokens) tokens, \(Int(stats.decodeTokensPerSecond)) tokens/s)")
}
