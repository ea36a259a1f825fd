import ArgumentParser
import Swiftlet

struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a GGUF model file holds: architecture, size, tensor types, tokenizer.")

    @OptionGroup var model: ModelOptions

    @Flag(help: "Print JSON (stable keys, for scripts).")
    var json = false

    @Flag(help: "Also list every tensor.")
    var tensors = false

    func run() async throws {
        let file = try ModelFile(path: try await model.resolvePath())
        if json {
            print(ModelInspection.json(file, includeTensors: tensors).rendered(indent: 1))
        } else {
            print(ModelInspection.text(file, includeTensors: tensors), terminator: "")
        }
    }
}
