import ArgumentParser
import Swiftlet

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a GGUF model file holds: architecture, size, tensor types, tokenizer.")

    @Argument(help: "Path to a .gguf file.")
    var path: String

    @Flag(help: "Print JSON (stable keys, for scripts).")
    var json = false

    @Flag(help: "Also list every tensor.")
    var tensors = false

    func run() throws {
        let model = try ModelFile(path: path)
        if json {
            print(ModelInspection.json(model, includeTensors: tensors).rendered(indent: 1))
        } else {
            print(ModelInspection.text(model, includeTensors: tensors), terminator: "")
        }
    }
}
